package io.meshwarden.api;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * OpenAPI description of the wire format. The model records hold normalized Java values (enums, BigDecimal); these
 * classes describe the document exactly as users write it. They are never instantiated.
 */
final class PolicySchemas {
    private PolicySchemas() {
    }

    @Schema(name = "MeshPolicy", description = "A Meshwarden policy document")
    static final class Policy {
        @Schema(required = true, enumeration = "meshwarden.io/v1alpha1")
        public String apiVersion;
        @Schema(required = true, enumeration = "MeshPolicy")
        public String kind;
        @Schema(required = true)
        public Metadata metadata;
        @Schema(required = true)
        public Spec spec;
        @Schema(readOnly = true, description = "Where the policy comes from; ignored on input")
        public Status status;
    }

    @Schema(name = "MeshPolicyMetadata")
    static final class Metadata {
        @Schema(required = true, description = "DNS-1123 subdomain", maxLength = 253)
        public String name;
        public Map<String, String> labels;
        public Map<String, String> annotations;
        @Schema(description = "Optimistic-concurrency token; send it back on update (or use If-Match)")
        public String resourceVersion;
        @Schema(readOnly = true, description = "Incremented when spec changes")
        public Long generation;
        @Schema(readOnly = true)
        public String creationTimestamp;
    }

    @Schema(name = "MeshPolicySpec")
    static final class Spec {
        @Schema(required = true, enumeration = {"HaMinimum", "InjectionExclusion", "HeaderRemoval", "ProxySizing",
                "TraceSampling"})
        public String type;
        @Schema(enumeration = {"audit", "enforce"}, defaultValue = "audit")
        public String mode;
        @Schema(enumeration = {"warning", "danger"}, defaultValue = "warning")
        public String severity;
        public TargetSchema target;
        public List<ExemptionSchema> exemptions;
        @Schema(type = SchemaType.OBJECT, oneOf = {HaMinimum.class, InjectionExclusion.class, HeaderRemoval.class,
                ProxySizing.class, TraceSampling.class}, description = "Parameters of spec.type; unknown fields are "
                        + "errors")
        public Object parameters;
    }

    @Schema(name = "MeshPolicyTarget")
    static final class TargetSchema {
        public NamespacesSchema namespaces;
        @Schema(description = "Kubernetes label selector (matchLabels, matchExpressions)")
        public Map<String, Object> selector;
    }

    @Schema(name = "MeshPolicyNamespaces", description = "Empty include means every namespace; exclude wins")
    static final class NamespacesSchema {
        public List<String> include;
        public List<String> exclude;
    }

    @Schema(name = "MeshPolicyExemption", description = "Omitted fields match anything; at least one is required")
    static final class ExemptionSchema {
        public String namespace;
        public String kind;
        public String name;
    }

    @Schema(name = "HaMinimumParameters")
    static final class HaMinimum {
        @Schema(description = "istiod, ingressgateway, egressgateway or a Helm release name", defaultValue = "[\"istiod\"]")
        public List<String> components;
        @Schema(minimum = "1", defaultValue = "2")
        public Integer minReplicas;
        @Schema(minimum = "1", defaultValue = "2")
        public Integer autoscaleMin;
        @Schema(minimum = "1", defaultValue = "5", description = "≥ autoscaleMin")
        public Integer autoscaleMax;
        @Schema(defaultValue = "true")
        public Boolean requirePodDisruptionBudget;
    }

    @Schema(name = "InjectionExclusionParameters")
    static final class InjectionExclusion {
        @Schema(description = "Subset of Job, CronJob", defaultValue = "[\"Job\", \"CronJob\"]")
        public List<String> workloadKinds;
        @Schema(enumeration = {"skip", "enforce"}, defaultValue = "skip")
        public String whenNativeSidecars;
    }

    @Schema(name = "HeaderRemovalParameters")
    static final class HeaderRemoval {
        @Schema(defaultValue = "{\"istio\": \"ingressgateway\"}")
        public Map<String, String> gatewaySelector;
        @Schema(defaultValue = "[\"x-envoy-upstream-service-time\", \"x-envoy-decorator-operation\"]")
        public List<String> headers;
    }

    @Schema(name = "ProxySizingParameters")
    static final class ProxySizing {
        @Schema(required = true)
        public ResourcesSchema requests;
        @Schema(description = "Each limit must be ≥ its request")
        public ResourcesSchema limits;
        @Schema(minimum = "0", maximum = "100", defaultValue = "10", description = "Percent a workload may deviate")
        public Double tolerance;
    }

    @Schema(name = "ProxyResources", description = "Kubernetes quantities, e.g. 100m and 128Mi")
    static final class ResourcesSchema {
        public String cpu;
        public String memory;
    }

    @Schema(name = "TraceSamplingParameters")
    static final class TraceSampling {
        @Schema(minimum = "0", maximum = "100", defaultValue = "1.0")
        public Double maxPercent;
    }

    @Schema(name = "MeshPolicyStatus")
    static final class Status {
        @Schema(enumeration = {"store", "gitops"})
        public String source;
        @Schema(description = "GitOps file relative to the GitOps directory")
        public String file;
    }

    @Schema(name = "MeshPolicyList")
    static final class PolicyList {
        public String apiVersion;
        public String kind;
        public List<Policy> items;
    }

    @Schema(name = "ValidationResult")
    static final class ValidationResult {
        public boolean valid;
        public Policy policy;
    }
}

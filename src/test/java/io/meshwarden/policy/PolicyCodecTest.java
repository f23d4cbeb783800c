package io.meshwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policies.haminimum.HaMinimumParameters;
import io.meshwarden.policies.headerremoval.HeaderRemovalParameters;
import io.meshwarden.policies.injectionexclusion.InjectionExclusionParameters;
import io.meshwarden.policies.proxysizing.ProxySizingParameters;
import io.meshwarden.policies.tracesampling.TraceSamplingParameters;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyCodecTest {

    static MeshPolicy yaml(String text) {
        return PolicyTypes.CODEC.read(Documents.parseOne(text.getBytes(StandardCharsets.UTF_8), true));
    }

    static List<Violation> violations(String text) {
        PolicyValidationException e = assertThrows(PolicyValidationException.class, () -> yaml(text));
        return e.violations();
    }

    static String doc(String type, String params) {
        return """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p1}
                spec:
                  type: %s
                  parameters: %s
                """.formatted(type, params);
    }

    static void assertViolation(List<Violation> vs, String field, String reasonPart) {
        assertTrue(vs.stream().anyMatch(v -> v.field().equals(field) && v.reason().contains(reasonPart)),
                () -> "expected violation at " + field + " containing '" + reasonPart + "' in " + vs);
    }

    @Test
    void issueExampleIsValidAndKeepsEveryField() {
        MeshPolicy p = yaml("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: control-plane-ha, labels: {team: platform}}
                spec:
                  type: HaMinimum
                  mode: audit
                  severity: danger
                  target:
                    namespaces: {include: [istio-system], exclude: []}
                    selector: {matchLabels: {app: istiod}}
                  exemptions: [{namespace: istio-system, kind: Deployment, name: istiod-canary}]
                  parameters: {components: [istiod, ingressgateway], minReplicas: 3, autoscaleMin: 2,
                               autoscaleMax: 6, requirePodDisruptionBudget: false}
                """);
        assertEquals("control-plane-ha", p.name());
        assertEquals(Map.of("team", "platform"), p.metadata().labels());
        assertEquals(Mode.AUDIT, p.spec().mode());
        assertEquals(Severity.DANGER, p.spec().severity());
        assertTrue(p.spec().target().coversNamespace("istio-system"));
        assertFalse(p.spec().target().coversNamespace("default"));
        assertTrue(p.spec().target().selector().matches(Map.of("app", "istiod")));
        assertTrue(p.spec().exemptions().get(0).matches("istio-system", "Deployment", "istiod-canary"));
        assertEquals(new HaMinimumParameters(List.of("istiod", "ingressgateway"), 3, 2, 6, false),
                p.spec().parameters());
    }

    @Test
    void defaultsAreFilledPerType() {
        assertEquals(new HaMinimumParameters(List.of("istiod"), 2, 2, 5, true),
                yaml(doc("HaMinimum", "{}")).spec().parameters());
        assertEquals(new InjectionExclusionParameters(List.of("Job", "CronJob"), InjectionExclusionParameters.NativeSidecars.SKIP),
                yaml(doc("InjectionExclusion", "{}")).spec().parameters());
        assertEquals(new HeaderRemovalParameters(Map.of("istio", "ingressgateway"),
                List.of("x-envoy-upstream-service-time", "x-envoy-decorator-operation")),
                yaml(doc("HeaderRemoval", "{}")).spec().parameters());
        assertEquals(new TraceSamplingParameters(BigDecimal.ONE), yaml(doc("TraceSampling", "{}")).spec()
                .parameters());
        MeshPolicy p = yaml(doc("TraceSampling", "{maxPercent: 0.5}"));
        assertEquals(Mode.AUDIT, p.spec().mode());
        assertEquals(Severity.WARNING, p.spec().severity());
        assertEquals(0, new BigDecimal("0.5").compareTo(((TraceSamplingParameters) p.spec().parameters())
                .maxPercent()));
    }

    @Test
    void proxySizingAcceptsQuantitiesAndNumbers() {
        ProxySizingParameters ps = (ProxySizingParameters) yaml(doc("ProxySizing",
                "{requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 1, memory: 1Gi}, tolerance: 20}"))
                .spec().parameters();
        assertEquals(new ProxySizingParameters.Resources("50m", "64Mi"), ps.requests());
        assertEquals(new ProxySizingParameters.Resources("1", "1Gi"), ps.limits());
        assertEquals(0, BigDecimal.valueOf(20).compareTo(ps.tolerancePercent()));
    }

    @Test
    void everyViolationIsReportedAtOnceWithItsPath() {
        List<Violation> vs = violations("""
                apiVersion: v1
                kind: Policy
                metadata: {name: Not_Valid, labels: {"bad key!": x}, uid: abc}
                spec:
                  type: ProxySizing
                  mode: sometimes
                  severity: critical
                  colour: red
                  target: {namespaces: {include: [UPPER]}}
                  exemptions: [{}]
                  parameters:
                    requests: {cpu: lots, memory: -1Mi}
                    limits: {cpu: 10m}
                    tolerance: "5"
                """);
        assertViolation(vs, "/apiVersion", "must be meshwarden.io/v1alpha1");
        assertViolation(vs, "/kind", "must be MeshPolicy");
        assertViolation(vs, "/metadata/name", "DNS-1123");
        assertViolation(vs, "/metadata/labels/bad key!", "label key");
        assertViolation(vs, "/metadata/uid", "unknown field");
        assertViolation(vs, "/spec/mode", "audit, enforce");
        assertViolation(vs, "/spec/severity", "warning, danger");
        assertViolation(vs, "/spec/colour", "unknown field");
        assertViolation(vs, "/spec/target/namespaces/include/0", "namespace");
        assertViolation(vs, "/spec/exemptions/0", "at least one");
        assertViolation(vs, "/spec/parameters/requests/cpu", "quantity");
        assertViolation(vs, "/spec/parameters/requests/memory", "negative");
        assertViolation(vs, "/spec/parameters/tolerance", "must be a number");
        assertTrue(vs.size() >= 13, vs::toString);
    }

    @Test
    void typeSpecificRulesAreEnforced() {
        assertViolation(violations(doc("HaMinimum", "{autoscaleMin: 4, autoscaleMax: 2}")),
                "/spec/parameters/autoscaleMax", "greater than or equal to autoscaleMin");
        assertViolation(violations(doc("HaMinimum", "{minReplicas: 0}")), "/spec/parameters/minReplicas",
                "between 1 and");
        assertViolation(violations(doc("HaMinimum", "{minReplicas: 2.5}")), "/spec/parameters/minReplicas",
                "integer");
        assertViolation(violations(doc("HaMinimum", "{minReplicas: 99999999999}")),
                "/spec/parameters/minReplicas", "between");
        assertViolation(violations(doc("HaMinimum", "{components: [Istiod_X]}")),
                "/spec/parameters/components/0", "Helm release name");
        assertViolation(violations(doc("HaMinimum", "{requirePodDisruptionBudget: \"yes\"}")),
                "/spec/parameters/requirePodDisruptionBudget", "boolean");
        assertViolation(violations(doc("HaMinimum", "{replicas: 3}")), "/spec/parameters/replicas",
                "unknown field");
        assertViolation(violations(doc("InjectionExclusion", "{workloadKinds: [Job, Deployment]}")),
                "/spec/parameters/workloadKinds/1", "Job or CronJob");
        assertViolation(violations(doc("InjectionExclusion", "{whenNativeSidecars: always}")),
                "/spec/parameters/whenNativeSidecars", "skip, enforce");
        assertViolation(violations(doc("HeaderRemoval", "{gatewaySelector: {}}")),
                "/spec/parameters/gatewaySelector", "at least one label");
        assertViolation(violations(doc("HeaderRemoval", "{headers: [\"bad header\"]}")),
                "/spec/parameters/headers/0", "header name");
        assertViolation(violations(doc("ProxySizing", "{requests: {cpu: 500m, memory: 256Mi}, "
                + "limits: {cpu: 100m, memory: 128Mi}}")), "/spec/parameters/limits/cpu", "greater than or equal");
        assertViolation(violations(doc("ProxySizing", "{requests: {cpu: 500m, memory: 256Mi}, "
                + "limits: {cpu: 1, memory: 128Mi}}")), "/spec/parameters/limits/memory", "greater than or equal");
        assertViolation(violations(doc("ProxySizing", "{}")), "/spec/parameters/requests", "is required");
        assertViolation(violations(doc("TraceSampling", "{maxPercent: 100.5}")), "/spec/parameters/maxPercent",
                "between 0 and 100");
        assertViolation(violations(doc("TraceSampling", "{maxPercent: 1, extra: true}")),
                "/spec/parameters/extra", "unknown field");
        assertViolation(violations(doc("Unknown", "{}")), "/spec/type", "HaMinimum");
    }

    @Test
    void missingSectionsAndWrongShapes() {
        assertViolation(violations("apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"), "/metadata",
                "is required");
        assertViolation(violations("apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"), "/spec",
                "is required");
        assertViolation(violations("[1, 2]"), "", "must be an object");
        assertViolation(violations(doc("HaMinimum", "[]")), "/spec/parameters", "must be an object");
        assertViolation(violations("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p, labels: {tier: 3}}
                spec: {type: TraceSampling, target: {selector: {matchExpressions: [{key: a, operator: In}]}}}
                """), "/spec/target/selector/matchExpressions/0/values", "non-empty");
        assertViolation(violations("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p, labels: {tier: 3}}
                spec: {type: TraceSampling}
                """), "/metadata/labels/tier", "must be a string");
    }

    @Test
    void writeThenReadIsTheSamePolicy() {
        MeshPolicy original = yaml("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: sizing, labels: {team: platform, app.kubernetes.io/part-of: mesh},
                           annotations: {owner: "platform@example.com"}}
                spec:
                  type: ProxySizing
                  mode: enforce
                  target:
                    namespaces: {exclude: [kube-system]}
                    selector:
                      matchLabels: {tier: web}
                      matchExpressions: [{key: env, operator: NotIn, values: [dev]}, {key: canary, operator: DoesNotExist}]
                  exemptions: [{kind: Deployment, name: legacy}]
                  parameters: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 512Mi}}
                """);
        String yamlText = Documents.toYaml(PolicyCodec.write(original));
        MeshPolicy again = yaml(yamlText);
        assertEquals(original, again);
        String json = Documents.toJson(PolicyCodec.write(original));
        assertEquals(original, PolicyTypes.CODEC.read(Documents.parseOne(json.getBytes(StandardCharsets.UTF_8), false)));
    }

    @Test
    void serverManagedMetadataIsAcceptedButNotTakenFromInput() {
        MeshPolicy p = yaml("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p, resourceVersion: "42", generation: 9, creationTimestamp: "2020-01-01T00:00:00Z"}
                spec: {type: TraceSampling}
                """);
        assertEquals("42", p.metadata().resourceVersion());
        assertEquals(0, p.metadata().generation());
        assertEquals(null, p.metadata().creationTimestamp());
        assertViolation(violations("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p, resourceVersion: 42}
                spec: {type: TraceSampling}
                """), "/metadata/resourceVersion", "must be a string");
    }
}

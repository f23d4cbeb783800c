package io.meshwarden.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Policies as cluster-scoped {@code MeshPolicy} resources. An informer keeps the served set current, so a policy
 * that Argo CD or Flux applies shows up without a restart; the API server's resourceVersion is the ETag, and its
 * optimistic concurrency is what refuses a stale write.
 *
 * <p>Writes go to the API server first and are then folded into the cache, so a client reads its own write even
 * before the watch event arrives. Cache entries only move forward in resourceVersion, so a late event cannot bring
 * back an older version (etcd revisions are numbers that only grow).
 */
public final class KubernetesPolicyStore implements PolicyStore, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KubernetesPolicyStore.class);
    /** The MeshPolicy resources, addressed without discovery (cluster-scoped). */
    public static final ResourceDefinitionContext MESH_POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup("meshwarden.io").withVersion("v1alpha1").withKind(MeshPolicy.KIND).withPlural("meshpolicies")
            .withNamespaced(false).build();
    /** An unconditional write that keeps meeting concurrent writers gives up after this many tries. */
    private static final int UNCONDITIONAL_ATTEMPTS = 5;

    /** What the cache holds for one resource: a served policy, or why it is not served. */
    private record Held(long rv, MeshPolicy policy, String error, JsonNode status) {
    }

    private final KubernetesClient client;
    /** Writes are sent once: a resent create or update after a lost answer would be misreported as a conflict. */
    private final KubernetesClient writer;
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private volatile SharedIndexInformer<GenericKubernetesResource> informer;
    private volatile String watchError;

    public KubernetesPolicyStore(KubernetesClient client) {
        this.client = client;
        this.writer = ApiRetry.singleAttempt(client);
    }

    private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> api() {
        return client.genericKubernetesResources(MESH_POLICIES);
    }

    private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> writes() {
        return writer.genericKubernetesResources(MESH_POLICIES);
    }

    /**
     * Starts the informer without waiting: the service starts even when the CRD is not installed yet, stays not
     * ready, and the informer keeps retrying until the list works.
     */
    @Override
    public synchronized void load() {
        if (informer != null) {
            return;
        }
        SharedIndexInformer<GenericKubernetesResource> inf = api().runnableInformer(0);
        inf.exceptionHandler((started, t) -> {
            watchError = t.getMessage();
            LOG.warnf("MeshPolicy watch: %s (retrying)", t.getMessage());
            return true;
        });
        inf.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource r) {
                observe(r);
                recordInvalid(r);
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource r) {
                observe(r);
                recordInvalid(r);
            }

            @Override
            public void onDelete(GenericKubernetesResource r, boolean finalStateUnknown) {
                forget(r.getMetadata().getName(), rv(r));
            }
        });
        inf.start().whenComplete((v, t) -> {
            if (t == null) {
                watchError = null;
                LOG.infof("MeshPolicy informer synced: %d policies, %d not served", list().size(),
                        loadErrors().size());
            }
        });
        informer = inf;
    }

    @Override
    public boolean ready() {
        SharedIndexInformer<GenericKubernetesResource> inf = informer;
        return inf != null && inf.hasSynced();
    }

    /** Why the store is not ready, when it is not; null otherwise. */
    public String notReadyReason() {
        if (ready()) {
            return null;
        }
        return watchError == null ? "waiting for the first list of meshpolicies.meshwarden.io" : watchError;
    }

    @Override
    public String location() {
        return "meshpolicies.meshwarden.io (cluster " + client.getMasterUrl() + ")";
    }

    @Override
    public String type() {
        return "kubernetes";
    }

    @Override
    public List<LoadError> loadErrors() {
        List<LoadError> out = new ArrayList<>();
        held.forEach((name, h) -> {
            if (h.error() != null) {
                out.add(new LoadError(name, h.error()));
            }
        });
        out.sort(Comparator.comparing(LoadError::file));
        return out;
    }

    @Override
    public List<MeshPolicy> list() {
        List<MeshPolicy> out = new ArrayList<>();
        held.values().forEach(h -> {
            if (h.policy() != null) {
                out.add(h.policy());
            }
        });
        out.sort(Comparator.comparing(MeshPolicy::name));
        return out;
    }

    @Override
    public Optional<MeshPolicy> get(String name) {
        Held h = held.get(name);
        return h == null ? Optional.empty() : Optional.ofNullable(h.policy());
    }

    @Override
    public MeshPolicy create(MeshPolicy policy) {
        GenericKubernetesResource body = toResource(policy, null);
        try {
            return observe(writes().resource(body).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw new StoreException.AlreadyExists(policy.name());
            }
            throw translate(policy.name(), e);
        }
    }

    @Override
    public MeshPolicy update(MeshPolicy policy, String expectedVersion, boolean viaIfMatch) {
        String name = policy.name();
        for (int attempt = 1; ; attempt++) {
            GenericKubernetesResource current = fetch(name);
            MeshPolicy currentPolicy = observe(current);
            String currentRv = current.getMetadata().getResourceVersion();
            if (expectedVersion != null && !expectedVersion.equals(currentRv)) {
                throw new StoreException.Conflict(name, expectedVersion, currentRv, viaIfMatch);
            }
            if (currentPolicy != null && PolicyStore.sameContent(currentPolicy, policy)) {
                return currentPolicy;
            }
            GenericKubernetesResource body = toResource(policy, current);
            try {
                return observe(writes().resource(body).update());
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    throw new StoreException.NotFound(name);
                }
                if (e.getCode() != 409) {
                    throw translate(name, e);
                }
                // Someone wrote between our read and our write. A conditional write reports it; an unconditional
                // one (no version given) reads again, like `kubectl replace` on a fresh object would.
                if (expectedVersion != null || attempt >= UNCONDITIONAL_ATTEMPTS) {
                    GenericKubernetesResource now = fetchOrNull(name);
                    String nowRv = now == null ? "(deleted)" : now.getMetadata().getResourceVersion();
                    throw new StoreException.Conflict(name, expectedVersion == null ? currentRv : expectedVersion,
                            nowRv, viaIfMatch);
                }
            }
        }
    }

    @Override
    public MeshPolicy delete(String name, String expectedVersion, boolean viaIfMatch) {
        GenericKubernetesResource current = fetch(name);
        String currentRv = current.getMetadata().getResourceVersion();
        if (expectedVersion != null && !expectedVersion.equals(currentRv)) {
            throw new StoreException.Conflict(name, expectedVersion, currentRv, viaIfMatch);
        }
        MeshPolicy deleted = convert(current).policy();
        try {
            // The precondition makes the server refuse to delete a version newer than the one we checked.
            writes().withName(name).lockResourceVersion(currentRv).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                throw new StoreException.NotFound(name);
            }
            if (e.getCode() == 409) {
                GenericKubernetesResource now = fetchOrNull(name);
                throw new StoreException.Conflict(name, currentRv,
                        now == null ? "(deleted)" : now.getMetadata().getResourceVersion(), viaIfMatch);
            }
            throw translate(name, e);
        }
        forget(name, rv(current));
        // Null when the resource was not a valid policy: deleting it is how a person cleans it up.
        return deleted;
    }

    /**
     * Writes each evaluated policy's findings into its {@code status}, only where they changed, so that steady audits
     * cost no writes. The Compliant condition's lastTransitionTime moves only when compliance flips.
     */
    @Override
    public void recordEvaluation(Map<String, Integer> findingsByPolicy, Instant at) {
        for (Map.Entry<String, Integer> e : findingsByPolicy.entrySet()) {
            Held h = held.get(e.getKey());
            if (h == null || h.policy() == null) {
                continue;
            }
            long generation = h.policy().metadata().generation();
            int findings = e.getValue();
            JsonNode old = h.status() == null ? JsonNodeFactory.instance.objectNode() : h.status();
            if (old.path("findings").asInt(-1) == findings && old.path("observedGeneration").asLong(-1) == generation
                    && "True".equals(PolicyStatus.condition(old, PolicyStatus.VALID).path("status").asText())) {
                continue;
            }
            writeStatus(e.getKey(), h.policy().metadata().resourceVersion(),
                    PolicyStatus.of(findings, generation, old, at));
        }
    }

    /**
     * A resource the CRD let through but the service's validation refuses gets {@code Valid=False} with the field
     * path and message, so kubectl, Argo CD and Flux show why it is not enforced; written only when it changes.
     */
    private void recordInvalid(GenericKubernetesResource r) {
        Held h = held.get(r.getMetadata().getName());
        if (h == null || h.error() == null || h.rv() != rv(r)) {
            return;
        }
        long generation = r.getMetadata().getGeneration() == null ? 1 : r.getMetadata().getGeneration();
        JsonNode old = h.status() == null ? JsonNodeFactory.instance.objectNode() : h.status();
        JsonNode valid = PolicyStatus.condition(old, PolicyStatus.VALID);
        if ("False".equals(valid.path("status").asText()) && h.error().equals(valid.path("message").asText())
                && old.path("observedGeneration").asLong(-1) == generation) {
            return;
        }
        writeStatus(r.getMetadata().getName(), r.getMetadata().getResourceVersion(),
                PolicyStatus.invalid(h.error(), generation, old, Instant.now()));
    }

    /**
     * A replace of the status subresource, not a merge patch: conditions is a list, and the version precondition
     * makes a status computed for an older spec fail instead of landing (the next audit or event writes it anew).
     */
    private void writeStatus(String name, String resourceVersion, ObjectNode status) {
        GenericKubernetesResource body = new GenericKubernetesResource();
        body.setApiVersion(MeshPolicy.API_VERSION);
        body.setKind(MeshPolicy.KIND);
        body.setMetadata(new ObjectMeta());
        body.getMetadata().setName(name);
        body.getMetadata().setResourceVersion(resourceVersion);
        body.setAdditionalProperty("status", client.getKubernetesSerialization().convertValue(status, Map.class));
        try {
            observe(writes().resource(body).updateStatus());
        } catch (KubernetesClientException ex) {
            if (ex.getCode() == 409) {
                LOG.debugf("status of MeshPolicy %s not written: it changed meanwhile", name);
            } else {
                LOG.warnf("status of MeshPolicy %s not written: %s", name, ex.getMessage());
            }
        }
    }

    @Override
    public void close() {
        SharedIndexInformer<GenericKubernetesResource> inf = informer;
        if (inf != null) {
            inf.close();
        }
    }

    private GenericKubernetesResource fetch(String name) {
        GenericKubernetesResource r = fetchOrNull(name);
        if (r == null) {
            forget(name, Long.MAX_VALUE);
            throw new StoreException.NotFound(name);
        }
        return r;
    }

    private GenericKubernetesResource fetchOrNull(String name) {
        try {
            return api().withName(name).get();
        } catch (KubernetesClientException e) {
            throw translate(name, e);
        }
    }

    private static StoreException translate(String name, KubernetesClientException e) {
        if (e.getCode() == 422 || e.getCode() == 400) {
            // The API server's validation (the CRD schema, an admission webhook) said no; its message names the field.
            String reason = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                    : e.getMessage();
            return new StoreException.Rejected("the API server refused policy '" + name + "': " + reason);
        }
        return new StoreException.Unavailable("MeshPolicy '" + name + "': API server answered "
                + (e.getCode() > 0 ? e.getCode() + " " : "") + e.getMessage(), e);
    }

    /** Folds a resource seen on the server into the cache and returns its policy (null when it is not valid). */
    private MeshPolicy observe(GenericKubernetesResource r) {
        Held next = convert(r);
        String name = r.getMetadata().getName();
        held.compute(name, (n, prev) -> prev == null || next.rv() >= prev.rv() ? next : prev);
        return next.policy();
    }

    private void forget(String name, long rv) {
        held.computeIfPresent(name, (n, prev) -> prev.rv() <= rv ? null : prev);
    }

    private static long rv(GenericKubernetesResource r) {
        try {
            return Long.parseLong(r.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException e) {
            // Opaque versions cannot be ordered: the latest one seen wins.
            return Long.MAX_VALUE;
        }
    }

    private Held convert(GenericKubernetesResource r) {
        ObjectMeta m = r.getMetadata();
        Map<String, Object> props = r.getAdditionalProperties();
        JsonNode status = props.get("status") == null ? null
                : client.getKubernetesSerialization().convertValue(props.get("status"), JsonNode.class);
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("apiVersion", MeshPolicy.API_VERSION);
        doc.put("kind", MeshPolicy.KIND);
        ObjectNode md = doc.putObject("metadata");
        md.put("name", m.getName());
        if (m.getLabels() != null && !m.getLabels().isEmpty()) {
            md.set("labels", client.getKubernetesSerialization().convertValue(m.getLabels(), JsonNode.class));
        }
        if (m.getAnnotations() != null && !m.getAnnotations().isEmpty()) {
            md.set("annotations", client.getKubernetesSerialization().convertValue(m.getAnnotations(),
                    JsonNode.class));
        }
        if (props.containsKey("spec")) {
            doc.set("spec", client.getKubernetesSerialization().convertValue(props.get("spec"), JsonNode.class));
        }
        try {
            MeshPolicy p = PolicyTypes.CODEC.read(doc);
            long generation = m.getGeneration() == null ? 1 : m.getGeneration();
            p = p.withMetadata(p.metadata().withVersion(m.getResourceVersion(), generation,
                    m.getCreationTimestamp()));
            return new Held(rv(r), p, null, status);
        } catch (RuntimeException e) {
            return new Held(rv(r), null, e.getMessage(), status);
        }
    }

    /**
     * The resource to send: the policy's spec, labels and annotations on top of the current object (so finalizers,
     * owner references and status stay as they are), with the current resourceVersion as the precondition.
     */
    private GenericKubernetesResource toResource(MeshPolicy policy, GenericKubernetesResource current) {
        ObjectNode doc = PolicyCodec.write(policy);
        GenericKubernetesResource out = current == null ? new GenericKubernetesResource() : current;
        out.setApiVersion(MeshPolicy.API_VERSION);
        out.setKind(MeshPolicy.KIND);
        ObjectMeta meta = current == null ? new ObjectMeta() : current.getMetadata();
        meta.setName(policy.name());
        meta.setLabels(policy.metadata().labels().isEmpty() ? null : new LinkedHashMap<>(policy.metadata().labels()));
        meta.setAnnotations(policy.metadata().annotations().isEmpty() ? null
                : new LinkedHashMap<>(policy.metadata().annotations()));
        meta.setManagedFields(null);
        out.setMetadata(meta);
        out.setAdditionalProperty("spec", client.getKubernetesSerialization().convertValue(doc.get("spec"),
                Map.class));
        return out;
    }

    /**
     * Status documents as the CRD declares them: {@code Compliant} (the last audit's findings) and {@code Valid}
     * (whether the service accepts the resource as a policy).
     */
    static final class PolicyStatus {
        static final String COMPLIANT = "Compliant";
        static final String VALID = "Valid";

        private PolicyStatus() {
        }

        static ObjectNode of(int findings, long generation, JsonNode old, Instant at) {
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("findings", findings);
            s.put("observedGeneration", generation);
            ArrayNode conditions = s.putArray("conditions");
            conditions.add(condition(old, COMPLIANT, findings == 0 ? "True" : "False",
                    findings == 0 ? "NoFindings" : "FindingsPresent", findings == 0 ? "the last audit found nothing"
                            : "the last audit found " + findings + (findings == 1 ? " finding" : " findings"),
                    generation, at));
            conditions.add(condition(old, VALID, "True", "Accepted", "the policy passed the service's validation",
                    generation, at));
            return s;
        }

        /** Not evaluated (so no findings), with why it is not a valid policy. */
        static ObjectNode invalid(String error, long generation, JsonNode old, Instant at) {
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("observedGeneration", generation);
            ArrayNode conditions = s.putArray("conditions");
            conditions.add(condition(old, COMPLIANT, "Unknown", "NotEvaluated",
                    "not evaluated: the policy is not valid (see the Valid condition)", generation, at));
            conditions.add(condition(old, VALID, "False", "InvalidPolicy", error, generation, at));
            return s;
        }

        /** The condition of this type in a status, or a missing node. */
        static JsonNode condition(JsonNode status, String type) {
            for (JsonNode c : status.path("conditions")) {
                if (type.equals(c.path("type").asText())) {
                    return c;
                }
            }
            return JsonNodeFactory.instance.missingNode();
        }

        /** lastTransitionTime moves only when the condition's status flips. */
        private static ObjectNode condition(JsonNode old, String type, String status, String reason, String message,
                long generation, Instant at) {
            JsonNode before = condition(old, type);
            String since = status.equals(before.path("status").asText()) && before.hasNonNull("lastTransitionTime")
                    ? before.get("lastTransitionTime").asText() : at.truncatedTo(ChronoUnit.SECONDS).toString();
            ObjectNode c = JsonNodeFactory.instance.objectNode();
            c.put("type", type);
            c.put("status", status);
            c.put("reason", reason);
            c.put("message", message);
            c.put("lastTransitionTime", since);
            c.put("observedGeneration", generation);
            return c;
        }
    }
}

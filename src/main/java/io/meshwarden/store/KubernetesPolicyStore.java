package io.meshwarden.store;

import com.fasterxml.jackson.databind.JsonNode;
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
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource r) {
                observe(r);
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
            if (old.path("findings").asInt(-1) == findings && old.path("observedGeneration").asLong(-1) == generation) {
                continue;
            }
            ObjectNode status = PolicyStatus.of(findings, generation, old, at);
            // A replace of the status subresource, not a merge patch: conditions is a list, and the version
            // precondition makes a status computed for an older spec fail instead of landing (the next audit
            // writes it for the new one).
            GenericKubernetesResource body = new GenericKubernetesResource();
            body.setApiVersion(MeshPolicy.API_VERSION);
            body.setKind(MeshPolicy.KIND);
            body.setMetadata(new ObjectMeta());
            body.getMetadata().setName(e.getKey());
            body.getMetadata().setResourceVersion(h.policy().metadata().resourceVersion());
            body.setAdditionalProperty("status", client.getKubernetesSerialization().convertValue(status, Map.class));
            try {
                observe(writes().resource(body).updateStatus());
            } catch (KubernetesClientException ex) {
                if (ex.getCode() == 409) {
                    LOG.debugf("status of MeshPolicy %s not written: it changed meanwhile", e.getKey());
                } else {
                    LOG.warnf("status of MeshPolicy %s not written: %s", e.getKey(), ex.getMessage());
                }
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

    /** Status documents as the CRD declares them. */
    static final class PolicyStatus {
        private PolicyStatus() {
        }

        static ObjectNode of(int findings, long generation, JsonNode old, Instant at) {
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("findings", findings);
            s.put("observedGeneration", generation);
            String compliant = findings == 0 ? "True" : "False";
            String since = at.truncatedTo(ChronoUnit.SECONDS).toString();
            for (JsonNode c : old.path("conditions")) {
                if ("Compliant".equals(c.path("type").asText()) && compliant.equals(c.path("status").asText())
                        && c.hasNonNull("lastTransitionTime")) {
                    since = c.get("lastTransitionTime").asText();
                }
            }
            ObjectNode c = s.putArray("conditions").addObject();
            c.put("type", "Compliant");
            c.put("status", compliant);
            c.put("reason", findings == 0 ? "NoFindings" : "FindingsPresent");
            c.put("message", findings == 0 ? "the last audit found nothing"
                    : "the last audit found " + findings + (findings == 1 ? " finding" : " findings"));
            c.put("lastTransitionTime", since);
            c.put("observedGeneration", generation);
            return s;
        }
    }
}

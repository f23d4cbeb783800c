package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReference;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult.Status;
import io.meshwarden.evaluate.ResourceRef;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Writes a {@link Plan} to the cluster through the API server.
 *
 * <p>Every write is a JSON merge patch carrying the resourceVersion that was read (an optimistic precondition:
 * a concurrent writer makes it fail with 409 rather than be overwritten), or a create. A change that would not alter
 * the live object sends nothing, so applying a plan to a compliant cluster makes no write requests at all.
 * Objects Meshwarden did not create are never overwritten: a create that finds a foreign object of the same name is
 * skipped. One change failing does not stop the others.
 *
 * <p>Not thread-safe per call; instances hold no state between calls.
 */
public final class Applier {
    public static final String FIELD_MANAGER = "meshwarden";
    public static final String APPLIED_BY = "meshwarden.io/applied-by";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "meshwarden";
    public static final String EVENT_REASON = "MeshwardenApplied";
    static final String GONE = "gone";
    static final String FOREIGN = "exists, not managed by meshwarden";

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final KubeObjects objects;
    private final Clock clock;

    public Applier(KubernetesClient client) {
        this(client, Clock.systemUTC());
    }

    /** @param clock stamps the Events' timestamps */
    public Applier(KubernetesClient client, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.objects = new KubeObjects(client);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** @param dryRun read and compute everything, write nothing (no Events either) */
    public ApplyResult apply(Plan plan, boolean dryRun) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Change c : plan.changes()) {
            Outcome o;
            try {
                if (Planner.isJob(c.target())) {
                    o = skipped(c, Planner.JOB_REASON);
                } else {
                    o = Change.CREATE.equals(c.action()) ? create(c, dryRun) : patch(c, dryRun);
                }
            } catch (KubernetesClientException e) {
                o = failed(c, 0, describe(e));
            } catch (RuntimeException e) {
                // fabric8 throws plain runtime exceptions too, e.g. for a kind discovery cannot resolve.
                o = failed(c, 0, e.toString());
            }
            outcomes.add(o);
        }
        return new ApplyResult(dryRun, outcomes);
    }

    // ---------------------------------------------------------------- patch

    private Outcome patch(Change c, boolean dryRun) {
        ResourceRef t = c.target();
        ObjectNode body = (ObjectNode) c.body();
        if (MergePatch.sets(body, "spec.replicas")) {
            // Plans can be built or edited elsewhere, and an HPA may have appeared since the snapshot: check live.
            HorizontalPodAutoscaler hpa = hpaScaling(t);
            if (hpa != null) {
                body = MergePatch.without(body.deepCopy(), "spec.replicas");
                if (body == null) {
                    return skipped(c, "HorizontalPodAutoscaler " + t.namespace() + "/" + hpa.getMetadata().getName()
                            + " owns spec.replicas");
                }
            }
        }
        GenericKubernetesResource live = resource(t).get();
        if (live == null) {
            return skipped(c, GONE);
        }
        return patchExisting(c, body, live, dryRun);
    }

    private HorizontalPodAutoscaler hpaScaling(ResourceRef t) {
        if (t.namespace() == null) {
            return null;
        }
        for (HorizontalPodAutoscaler h : client.autoscaling().v2().horizontalPodAutoscalers()
                .inNamespace(t.namespace()).list().getItems()) {
            CrossVersionObjectReference ref = h.getSpec() == null ? null : h.getSpec().getScaleTargetRef();
            if (ref != null && t.kind().equals(ref.getKind()) && t.name().equals(ref.getName())) {
                return h;
            }
        }
        return null;
    }

    /**
     * On 409 the object changed between read and write: read it again and judge anew, since the other writer may
     * have made the change unnecessary. A second conflict fails the change; a controller racing that hard is
     * better reported than fought.
     */
    private Outcome patchExisting(Change c, ObjectNode body, GenericKubernetesResource live, boolean dryRun) {
        int attempts = 0;
        while (true) {
            ObjectNode current = toJson(live);
            if (MergePatch.same(MergePatch.apply(current, body), current)) {
                return new Outcome(c, Status.UNCHANGED, null, null, null, null, attempts, null, null);
            }
            ObjectNode effective = body.deepCopy();
            effective.withObject("/metadata").withObject("/annotations").put(APPLIED_BY,
                    appliedBy(current, c.policies()));
            ObjectNode revert = MergePatch.revert(current, effective);
            ObjectNode sent = effective.deepCopy();
            sent.withObject("/metadata").put("resourceVersion", current.path("metadata").path("resourceVersion")
                    .asText(""));
            if (dryRun) {
                return new Outcome(c, Status.WOULD_APPLY, Change.PATCH, sent, revert, null, 0, null, null);
            }
            attempts++;
            GenericKubernetesResource after;
            try {
                after = resource(c.target()).patch(patchContext(), sent.toString());
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    return failed(c, attempts, describe(e));
                }
                if (attempts >= 2) {
                    return failed(c, attempts, "conflict: the object changed again while retrying (" + describe(e)
                            + ")");
                }
                live = resource(c.target()).get();
                if (live == null) {
                    return skipped(c, GONE);
                }
                continue;
            }
            String eventError = event(c, after, Change.PATCH, body);
            return new Outcome(c, Status.APPLIED, Change.PATCH, sent, revert, resourceVersion(after), attempts, null,
                    eventError);
        }
    }

    private static PatchContext patchContext() {
        return KubeObjects.mergePatch();
    }

    /** Policies that have written the object, ours added: the annotation keeps earlier writers' names. */
    private static String appliedBy(JsonNode current, List<String> policies) {
        TreeSet<String> names = new TreeSet<>(policies);
        String earlier = current.path("metadata").path("annotations").path(APPLIED_BY).asText("");
        for (String n : earlier.split(",")) {
            if (!n.isBlank()) {
                names.add(n.trim());
            }
        }
        return String.join(",", names);
    }

    // ---------------------------------------------------------------- create

    private Outcome create(Change c, boolean dryRun) {
        ResourceRef t = c.target();
        ObjectNode desired = ((ObjectNode) c.body()).deepCopy();
        desired.put("apiVersion", t.apiVersion()).put("kind", t.kind());
        ObjectNode meta = desired.withObject("/metadata");
        meta.put("name", t.name());
        if (t.namespace() != null) {
            meta.put("namespace", t.namespace());
        }
        meta.remove(List.of("resourceVersion", "uid", "generateName"));
        meta.withObject("/labels").put(MANAGED_BY, MANAGED_BY_VALUE);
        meta.withObject("/annotations").put(APPLIED_BY, String.join(",", new TreeSet<>(c.policies())));

        GenericKubernetesResource live = resource(t).get();
        if (live == null) {
            if (dryRun) {
                return new Outcome(c, Status.WOULD_APPLY, Change.CREATE, desired, null, null, 0, null, null);
            }
            try {
                GenericKubernetesResource created = collection(t)
                        .resource(serialization.convertValue(desired, GenericKubernetesResource.class)).create();
                String eventError = event(c, created, Change.CREATE, desired);
                return new Outcome(c, Status.APPLIED, Change.CREATE, desired, null, resourceVersion(created), 1, null,
                        eventError);
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    return failed(c, 1, describe(e));
                }
                // Created by someone else since the read: judge their object like any existing one.
                live = resource(t).get();
                if (live == null) {
                    return failed(c, 1, describe(e));
                }
            }
        }
        Map<String, String> labels = live.getMetadata() == null ? null : live.getMetadata().getLabels();
        if (labels == null || !MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY))) {
            return skipped(c, FOREIGN);
        }
        return patchExisting(c, toPatch(desired), live, dryRun);
    }

    /**
     * The merge patch that brings one of our objects to the desired state: everything but identity and
     * server-owned metadata. Fields the live object has beyond the desired ones (server defaults) stay.
     */
    private static ObjectNode toPatch(ObjectNode desired) {
        ObjectNode patch = desired.deepCopy();
        patch.remove(List.of("apiVersion", "kind", "status"));
        ObjectNode meta = patch.withObject("/metadata");
        meta.retain("labels", "annotations");
        JsonNode annotations = meta.get("annotations");
        if (annotations instanceof ObjectNode) {
            // patchExisting writes it only with a real change; its value alone is no reason to write.
            ((ObjectNode) annotations).remove(APPLIED_BY);
            if (annotations.isEmpty()) {
                meta.remove("annotations");
            }
        }
        if (meta.isEmpty()) {
            patch.remove("metadata");
        }
        return patch;
    }

    // ---------------------------------------------------------------- events

    /** Returns null, or why the Event could not be created: the write happened either way. */
    private String event(Change c, GenericKubernetesResource after, String operation, JsonNode what) {
        String message = "Meshwarden policy " + String.join(", ", c.policies()) + " (" + String.join(", ",
                c.rules()) + ") " + (Change.CREATE.equals(operation) ? "created" : "patched") + " " + c.target()
                + " [change " + c.id() + "]" + (Change.PATCH.equals(operation) ? ": " + what : "");
        return objects.recordEvent(c.target(), after, EVENT_REASON, Change.CREATE.equals(operation) ? "Create"
                : "Patch", message, c.id(), clock);
    }

    static String eventName(ResourceRef t, String changeId, String uid, String rv) {
        return KubeObjects.eventName(t, changeId, uid, rv);
    }

    // ---------------------------------------------------------------- plumbing

    private Resource<GenericKubernetesResource> resource(ResourceRef t) {
        return objects.resource(t);
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> collection(ResourceRef t) {
        return objects.collection(t);
    }

    private ObjectNode toJson(GenericKubernetesResource r) {
        return objects.toJson(r);
    }

    private static String resourceVersion(GenericKubernetesResource r) {
        return KubeObjects.resourceVersion(r);
    }

    private static Outcome skipped(Change c, String why) {
        return new Outcome(c, Status.SKIPPED, null, null, null, null, 0, why, null);
    }

    private static Outcome failed(Change c, int attempts, String why) {
        return new Outcome(c, Status.FAILED, null, null, null, null, attempts, why, null);
    }

    private static String describe(KubernetesClientException e) {
        String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : e.getMessage();
        return (e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "") + message;
    }
}

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
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult.Status;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.ResourceRef;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Writes a {@link Plan} to the cluster through the API server.
 *
 * <p>Every write is a JSON merge patch carrying the resourceVersion that was read (an optimistic precondition:
 * a concurrent writer makes it fail with 409 rather than be overwritten), or a create. A change that would not alter
 * the live object sends nothing, so applying a plan to a compliant cluster makes no write requests at all.
 * Objects Meshwarden did not create are never overwritten: a create that finds a foreign object of the same name is
 * skipped. One change failing does not stop the others.
 *
 * <p>Transient API failures (429, 5xx, timeouts, dropped connections) are retried within the {@link ApiRetry} bounds.
 * A write is never resent blindly: after a failed attempt the object is read again and judged anew, so a patch whose
 * answer was lost but which was applied is recognised (the object now is as wanted, its resourceVersion moved and it
 * carries the applied-by annotation that was sent) and recorded once, as applied by that attempt. When the retries
 * are used up, or the guard ({@link #guardedBy}, asked immediately before every write) says no, applying stops with
 * {@link ApplyStopped}: the rest of the plan is not attempted.
 *
 * <p>Not thread-safe per call; instances hold no state between calls.
 */
public final class Applier {
    public static final String FIELD_MANAGER = "meshwarden";
    public static final String APPLIED_BY = "meshwarden.io/applied-by";
    public static final String MANAGED_BY = Ownership.MANAGED_BY;
    public static final String MANAGED_BY_VALUE = Ownership.MANAGED_BY_VALUE;
    public static final String EVENT_REASON = "MeshwardenApplied";
    static final String GONE = "gone";
    static final String FOREIGN = "exists, not managed by meshwarden";

    private final KubernetesClient client;
    private final KubernetesSerialization serialization;
    private final KubeObjects objects;
    /** The client sending each request once: reads and writes of changes are retried here, by {@link #retry}. */
    private final KubernetesClient once;
    private final KubeObjects onceObjects;
    private final Clock clock;
    private final ApiRetry retry;
    private final BooleanSupplier mayWrite;

    public Applier(KubernetesClient client) {
        this(client, Clock.systemUTC());
    }

    /** @param clock stamps the Events' timestamps */
    public Applier(KubernetesClient client, Clock clock) {
        this(client, clock, ApiRetry.DEFAULT);
    }

    /** @param retry bounds the retries of transient API failures */
    public Applier(KubernetesClient client, Clock clock, ApiRetry retry) {
        this(client, clock, retry, () -> true);
    }

    private Applier(KubernetesClient client, Clock clock, ApiRetry retry, BooleanSupplier mayWrite) {
        this.client = Objects.requireNonNull(client, "client");
        this.serialization = client.getKubernetesSerialization();
        this.objects = new KubeObjects(client);
        this.once = ApiRetry.singleAttempt(client);
        this.onceObjects = new KubeObjects(once);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.mayWrite = Objects.requireNonNull(mayWrite, "mayWrite");
    }

    /**
     * This applier, asking {@code guard} immediately before every write (retries and Events included): once it
     * answers false (the leader lease is lost) nothing more is sent and {@link #apply} ends with
     * {@link ApplyStopped}.
     */
    public Applier guardedBy(BooleanSupplier guard) {
        return new Applier(client, clock, retry, guard);
    }

    /**
     * @param dryRun read and compute everything, write nothing (no Events either)
     * @throws ApplyStopped the guard forbade a write or the API server kept failing; it carries what was done
     */
    public ApplyResult apply(Plan plan, boolean dryRun) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Change c : plan.changes()) {
            Outcome o;
            try {
                if (Planner.isJob(c.target())) {
                    o = skipped(c, Planner.JOB_REASON);
                } else {
                    o = Change.CREATE.equals(c.action()) ? create(c, dryRun)
                            : Change.DELETE.equals(c.action()) ? delete(c, dryRun) : patch(c, dryRun);
                }
            } catch (ApplyStopped e) {
                ChangeAudit.record(e.outcome());
                throw e.after(outcomes);
            } catch (ApiRetry.Exhausted e) {
                // A read before any write of this change: nothing of it was sent.
                throw new ApplyStopped(ApplyStopped.Reason.API_UNAVAILABLE, c, failed(c, 0, describe(e)),
                        "the API server kept failing: " + describe(e)).after(outcomes);
            } catch (KubernetesClientException e) {
                o = failed(c, 0, describe(e));
            } catch (RuntimeException e) {
                // fabric8 throws plain runtime exceptions too, e.g. for a kind discovery cannot resolve.
                o = failed(c, 0, e.toString());
            }
            outcomes.add(o);
            ChangeAudit.record(o);
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
        GenericKubernetesResource live = read(() -> resource(t).get());
        if (live == null) {
            return skipped(c, GONE);
        }
        return patchExisting(c, body, live, dryRun);
    }

    private HorizontalPodAutoscaler hpaScaling(ResourceRef t) {
        if (t.namespace() == null) {
            return null;
        }
        for (HorizontalPodAutoscaler h : read(() -> once.autoscaling().v2().horizontalPodAutoscalers()
                .inNamespace(t.namespace()).list()).getItems()) {
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
     * better reported than fought. A transient failure is judged the same way after a backoff, since the write may
     * have been applied with only its answer lost.
     */
    private Outcome patchExisting(Change c, ObjectNode body, GenericKubernetesResource live, boolean dryRun) {
        int attempts = 0;
        int conflicts = 0;
        Lost lost = null;
        while (true) {
            ObjectNode current = toJson(live);
            if (MergePatch.same(MergePatch.apply(current, body), current)) {
                if (lost != null && lost.landed(current)) {
                    return new Outcome(c, Status.APPLIED, Change.PATCH, lost.sent, lost.revert, resourceVersion(live),
                            attempts, lost.detail(), event(c, live, Change.PATCH, body));
                }
                return new Outcome(c, Status.UNCHANGED, null, null, null, null, attempts, null, null);
            }
            if (lost != null && attempts >= retry.maxAttempts()) {
                throw unavailable(c, attempts, lost);
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
            ensureMayWrite(c, attempts, lost);
            attempts++;
            GenericKubernetesResource after;
            try {
                after = resource(c.target()).patch(patchContext(), sent.toString());
            } catch (KubernetesClientException e) {
                if (ApiRetry.retryable(e)) {
                    lost = new Lost(attempts, describe(e), sent, revert);
                    live = afterFailure(c, e, attempts, lost);
                    if (live == null) {
                        return skipped(c, GONE);
                    }
                    continue;
                }
                conflicts += e.getCode() == HttpURLConnection.HTTP_CONFLICT ? 1 : 0;
                Outcome stop = giveUp(c, attempts, e, conflicts);
                if (stop != null) {
                    return stop;
                }
                live = reread(c, attempts, lost);
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

    /**
     * A write that failed transiently: it may have been applied with its answer lost.
     *
     * @param sent   the body (or object) sent
     * @param revert the revert patch computed for it; null for a create
     */
    private record Lost(int attempt, String why, ObjectNode sent, ObjectNode revert) {
        /** The object, now as wanted, shows this write: its resourceVersion moved and it carries our annotation. */
        boolean landed(ObjectNode now) {
            JsonNode meta = sent.path("metadata");
            return !meta.path("resourceVersion").asText("").equals(now.path("metadata").path("resourceVersion")
                    .asText("")) && meta.path("annotations").path(APPLIED_BY).equals(now.path("metadata")
                    .path("annotations").path(APPLIED_BY));
        }

        String detail() {
            return "applied by attempt " + attempt + ", whose answer was lost (" + why + ")";
        }
    }

    /** Backs off (unless the attempts are used up) and reads the object again; null when it is gone. */
    private GenericKubernetesResource afterFailure(Change c, KubernetesClientException e, int attempts, Lost lost) {
        if (attempts < retry.maxAttempts()) {
            try {
                retry.pause(e, attempts);
            } catch (ApiRetry.Exhausted interrupted) {
                throw unavailable(c, attempts, lost);
            }
        }
        return reread(c, attempts, lost);
    }

    private GenericKubernetesResource reread(Change c, int attempts, Lost lost) {
        try {
            return read(() -> resource(c.target()).get());
        } catch (ApiRetry.Exhausted e) {
            String why = "cannot read " + c.target() + " again: " + describe(e)
                    + (lost == null ? "" : "; attempt " + lost.attempt() + " failed (" + lost.why()
                    + ") and may have been applied: the next run reads the object and will see");
            throw new ApplyStopped(ApplyStopped.Reason.API_UNAVAILABLE, c, failed(c, attempts, why),
                    "the API server kept failing: " + why);
        }
    }

    private ApplyStopped unavailable(Change c, int attempts, Lost lost) {
        String why = lost.why() + " (gave up after " + attempts + " attempt" + (attempts == 1 ? "" : "s") + ")";
        return new ApplyStopped(ApplyStopped.Reason.API_UNAVAILABLE, c, failed(c, attempts, why),
                "the API server kept failing: " + why);
    }

    /** Asked immediately before every write: a replica that lost the lease must not send one more. */
    private void ensureMayWrite(Change c, int attempts, Lost lost) {
        if (mayWrite.getAsBoolean()) {
            return;
        }
        Outcome o = lost == null ? null : failed(c, attempts, "not applied: attempt " + lost.attempt() + " failed ("
                + lost.why() + ") and this replica lost the leadership before retrying");
        throw new ApplyStopped(ApplyStopped.Reason.LEADERSHIP_LOST, c, o,
                "this replica is no longer the leader; it sent no further writes");
    }

    /** A read that is safe to repeat, retried; throws {@link ApiRetry.Exhausted} when the retries are used up. */
    private <T> T read(Supplier<T> request) {
        return retry.call(request);
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

        GenericKubernetesResource live = read(() -> resource(t).get());
        Lost lost = null;
        int attempts = 0;
        if (live == null) {
            if (dryRun) {
                return new Outcome(c, Status.WOULD_APPLY, Change.CREATE, desired, null, null, 0, null, null);
            }
            while (live == null) {
                if (lost != null && attempts >= retry.maxAttempts()) {
                    throw unavailable(c, attempts, lost);
                }
                ensureMayWrite(c, attempts, lost);
                attempts++;
                try {
                    GenericKubernetesResource created = collection(t)
                            .resource(serialization.convertValue(desired, GenericKubernetesResource.class)).create();
                    String eventError = event(c, created, Change.CREATE, desired);
                    return new Outcome(c, Status.APPLIED, Change.CREATE, desired, null, resourceVersion(created),
                            attempts, null, eventError);
                } catch (KubernetesClientException e) {
                    if (ApiRetry.retryable(e)) {
                        lost = new Lost(attempts, describe(e), desired, null);
                        live = afterFailure(c, e, attempts, lost);
                        continue;
                    }
                    if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                        return failed(c, attempts, describe(e));
                    }
                    // Created by someone else since the read: judge their object like any existing one.
                    live = reread(c, attempts, lost);
                    if (live == null) {
                        return failed(c, attempts, describe(e));
                    }
                }
            }
        }
        Map<String, String> labels = live.getMetadata() == null ? null : live.getMetadata().getLabels();
        if (labels == null || !MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY))) {
            return skipped(c, FOREIGN);
        }
        Outcome o = patchExisting(c, toPatch(desired), live, dryRun);
        if (lost != null && o.status() == Status.UNCHANGED) {
            // Ours, and as wanted, where nothing was before the first attempt: that attempt created it.
            return new Outcome(c, Status.APPLIED, Change.CREATE, desired, null, resourceVersion(live), attempts,
                    "created by attempt " + lost.attempt() + ", whose answer was lost (" + lost.why() + ")",
                    event(c, live, Change.CREATE, desired));
        }
        return o;
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

    // ---------------------------------------------------------------- delete

    /**
     * Deletes an object Meshwarden created (it carries our managed-by label; anything else is skipped as foreign),
     * with the resourceVersion read as the delete's precondition. The outcome's {@code sent} is the object as it
     * was, which is what a revert re-creates. An object already gone is as wanted.
     */
    private Outcome delete(Change c, boolean dryRun) {
        ResourceRef t = c.target();
        GenericKubernetesResource live = read(() -> resource(t).get());
        int attempts = 0;
        int conflicts = 0;
        Lost lost = null;
        while (true) {
            if (live == null) {
                if (lost != null) {
                    // Gone after an attempt whose answer was lost: that attempt deleted it.
                    return new Outcome(c, Status.APPLIED, Change.DELETE, lost.sent(), null, null, attempts,
                            lost.detail(), event(c, null, Change.DELETE, null, lost.sent()));
                }
                return new Outcome(c, Status.UNCHANGED, null, null, null, null, attempts, null, null);
            }
            if (!Ownership.ours(live.getMetadata() == null ? null : live.getMetadata().getLabels())) {
                return skipped(c, FOREIGN);
            }
            ObjectNode before = toJson(live);
            before.remove("status");
            before.withObject("/metadata").remove(List.of("managedFields", "creationTimestamp", "generation",
                    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"));
            if (dryRun) {
                return new Outcome(c, Status.WOULD_APPLY, Change.DELETE, before, null, null, 0, null, null);
            }
            if (lost != null && attempts >= retry.maxAttempts()) {
                throw unavailable(c, attempts, lost);
            }
            ensureMayWrite(c, attempts, lost);
            attempts++;
            try {
                resource(t).lockResourceVersion(resourceVersion(live)).delete();
                return new Outcome(c, Status.APPLIED, Change.DELETE, before, null, null, attempts, null,
                        event(c, live, Change.DELETE, null, before));
            } catch (KubernetesClientException e) {
                if (ApiRetry.retryable(e)) {
                    lost = new Lost(attempts, describe(e), before, null);
                    live = afterFailure(c, e, attempts, lost);
                    continue;
                }
                conflicts += e.getCode() == HttpURLConnection.HTTP_CONFLICT ? 1 : 0;
                Outcome stop = giveUp(c, attempts, e, conflicts);
                if (stop != null) {
                    return stop;
                }
                // Changed since the read: judge it anew (it may no longer be ours).
                live = reread(c, attempts, lost);
            }
        }
    }

    // ---------------------------------------------------------------- events

    /** Returns null, or why the Event could not be created: the write happened either way. */
    private String event(Change c, GenericKubernetesResource after, String operation, JsonNode what) {
        return event(c, after, operation, what, null);
    }

    /** @param deleted for a delete: the object as it was, when {@code after} (the live object) is not at hand */
    private String event(Change c, GenericKubernetesResource after, String operation, JsonNode what,
            JsonNode deleted) {
        String verb = Change.CREATE.equals(operation) ? "created" : Change.DELETE.equals(operation) ? "deleted"
                : "patched";
        String message = "Meshwarden policy " + String.join(", ", c.policies()) + " (" + String.join(", ",
                c.rules()) + ") " + verb + " " + c.target() + " [change " + c.id() + "]"
                + (Change.PATCH.equals(operation) ? ": " + what : "")
                + (Change.DELETE.equals(operation) ? "; a revert re-creates it" : "");
        GenericKubernetesResource subject = after != null || deleted == null ? after
                : serialization.convertValue(deleted, GenericKubernetesResource.class);
        return onceObjects.recordEvent(c.target(), subject, EVENT_REASON, Change.CREATE.equals(operation) ? "Create"
                : Change.DELETE.equals(operation) ? "Delete" : "Patch", message, c.id(), clock, retry, mayWrite);
    }

    static String eventName(ResourceRef t, String changeId, String uid, String rv) {
        return KubeObjects.eventName(t, changeId, uid, rv);
    }

    // ---------------------------------------------------------------- plumbing

    private Resource<GenericKubernetesResource> resource(ResourceRef t) {
        return onceObjects.resource(t);
    }

    private NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> collection(ResourceRef t) {
        return onceObjects.collection(t);
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
        return ApiRetry.describe(e);
    }

    /** A write failed with a client error: give up unless it was the first conflict (then re-read and retry). */
    private Outcome giveUp(Change c, int attempts, KubernetesClientException e, int conflicts) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
            return failed(c, attempts, describe(e));
        }
        return conflicts >= 2 ? failed(c, attempts, "conflict: the object changed again while retrying ("
                + describe(e) + ")") : null;
    }
}

package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult.Status;
import java.time.Clock;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Undoes what one run applied: restores the prior value of every field it patched, deletes the objects it
 * created and re-creates the objects it deleted, as they were. All or nothing at the start: if any field the run wrote no longer holds what it wrote, nothing is
 * reverted, because restoring old values over someone else's newer change would lose it. Other fields may have
 * moved on: on a real cluster a controller writes a Deployment's status right after every template change, so
 * comparing resourceVersions would refuse every revert. The revert patch then carries the version read here as
 * its precondition, so a write between this check and the patch still stops it.
 */
public final class Reverter {
    public static final String EVENT_REASON = "MeshwardenReverted";
    /** Re-checks after a conflicting write from a controller before the revert of one object gives up. */
    private static final int CONFLICT_ATTEMPTS = 5;

    /** Objects that changed after the run; the caller answers 409. */
    public static final class Changed extends RuntimeException {
        private final List<String> objects;

        Changed(List<String> objects) {
            super("changed since the run: " + String.join(", ", objects));
            this.objects = List.copyOf(objects);
        }

        public List<String> objects() {
            return objects;
        }
    }

    /** One object's revert: reverted, already gone, or failed with a reason. */
    public record Step(String changeId, String target, String action, String result, String detail) {
    }

    private final KubeObjects objects;
    private final Clock clock;

    public Reverter(KubernetesClient client, Clock clock) {
        this.objects = new KubeObjects(Objects.requireNonNull(client, "client"));
        this.clock = clock;
    }

    public List<Step> revert(ApplyResult applied) {
        List<Outcome> written = applied.withStatus(Status.APPLIED);
        List<String> changed = new ArrayList<>();
        Map<Outcome, String> versions = new IdentityHashMap<>();
        for (Outcome o : written) {
            GenericKubernetesResource live = objects.resource(o.change().target()).get();
            if (Change.DELETE.equals(o.operation())) {
                // Someone created an object of that name since: re-creating ours would collide with it.
                if (live != null) {
                    changed.add(o.change().target().toString());
                }
                continue;
            }
            if (live == null) {
                continue;
            }
            versions.put(o, KubeObjects.resourceVersion(live));
            if (!stillAsWritten(o, objects.toJson(live))) {
                changed.add(o.change().target().toString());
            }
        }
        if (!changed.isEmpty()) {
            throw new Changed(changed);
        }
        List<Step> steps = new ArrayList<>();
        // Reverse order: the last change made is the first undone.
        for (int i = written.size() - 1; i >= 0; i--) {
            Outcome o = written.get(i);
            steps.add(revertOne(o, versions.getOrDefault(o, o.resourceVersion())));
        }
        return steps;
    }

    /** Whether every field the run wrote still holds what it wrote (metadata the server manages aside). */
    static boolean stillAsWritten(Outcome o, JsonNode live) {
        if (o.sent() == null || !o.sent().isObject()) {
            return true;
        }
        ObjectNode written = ((ObjectNode) o.sent()).deepCopy();
        written.remove("status");
        written.remove("apiVersion");
        written.remove("kind");
        JsonNode meta = written.get("metadata");
        if (meta instanceof ObjectNode m) {
            m.retain("labels", "annotations");
        }
        return holds(written, live);
    }

    private static boolean holds(JsonNode written, JsonNode live) {
        if (written.isObject()) {
            if (live == null || !live.isObject()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> e : written.properties()) {
                JsonNode value = e.getValue();
                JsonNode now = live.get(e.getKey());
                boolean ok = value.isNull() ? now == null || now.isNull()
                        : value.isObject() ? holds(value, now) : MergePatch.same(value, now);
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
        return MergePatch.same(written, live);
    }

    /**
     * The revert patch, with the version last checked as its precondition. A controller may write the object's
     * status between the check and the patch (a Deployment's rollout does, several times): on a conflict the object
     * is read and checked again, and the patch retried while the run's fields still hold what it wrote. Null when
     * they no longer do.
     */
    private GenericKubernetesResource patchWhileStillAsWritten(Outcome o, String expectedVersion) {
        String version = expectedVersion;
        for (int attempt = 1; ; attempt++) {
            ObjectNode patch = o.revertPatch().deepCopy();
            patch.withObject("/metadata").put("resourceVersion", version);
            try {
                return objects.resource(o.change().target()).patch(KubeObjects.mergePatch(), patch.toString());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
            }
            GenericKubernetesResource live = objects.resource(o.change().target()).get();
            if (live == null) {
                throw new KubernetesClientException("gone", 404, null);
            }
            if (!stillAsWritten(o, objects.toJson(live))) {
                return null;
            }
            version = KubeObjects.resourceVersion(live);
        }
    }

    private Step revertOne(Outcome o, String expectedVersion) {
        Change c = o.change();
        String target = c.target().toString();
        try {
            if (Change.DELETE.equals(o.operation())) {
                return recreate(o);
            }
            if (Change.CREATE.equals(o.operation())) {
                GenericKubernetesResource live = objects.resource(c.target()).get();
                if (live == null) {
                    return new Step(c.id(), target, "delete", "gone", null);
                }
                objects.resource(c.target()).delete();
                objects.recordEvent(c.target(), live, EVENT_REASON, "Delete", "Meshwarden reverted change " + c.id()
                        + ": deleted " + target + ", which it had created", c.id() + "/revert", clock);
                return new Step(c.id(), target, "delete", "reverted", null);
            }
            GenericKubernetesResource after = patchWhileStillAsWritten(o, expectedVersion);
            if (after == null) {
                return new Step(c.id(), target, "patch", "failed", "a field the run wrote changed during the revert");
            }
            objects.recordEvent(c.target(), after, EVENT_REASON, "Patch", "Meshwarden reverted change " + c.id()
                    + " on " + target + ": " + o.revertPatch(), c.id() + "/revert", clock);
            return new Step(c.id(), target, "patch", "reverted", null);
        } catch (KubernetesClientException e) {
            String action = Change.CREATE.equals(o.operation()) ? "delete"
                    : Change.DELETE.equals(o.operation()) ? "create" : "patch";
            if (e.getCode() == 404) {
                return new Step(c.id(), target, action, "gone", null);
            }
            return new Step(c.id(), target, action, "failed", e.getCode() + " " + e.getMessage());
        }
    }

    /** Re-creates an object the run deleted, as it was (labels and annotations included), under a new uid. */
    private Step recreate(Outcome o) {
        Change c = o.change();
        ObjectNode object = ((ObjectNode) o.sent()).deepCopy();
        object.withObject("/metadata").remove(List.of("resourceVersion", "uid"));
        GenericKubernetesResource created = objects.collection(c.target()).resource(objects.fromJson(object))
                .create();
        objects.recordEvent(c.target(), created, EVENT_REASON, "Create", "Meshwarden reverted change " + c.id()
                + ": re-created " + c.target() + ", which it had deleted", c.id() + "/revert", clock);
        return new Step(c.id(), c.target().toString(), "create", "reverted", null);
    }
}

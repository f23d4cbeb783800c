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
import java.util.LinkedHashMap;
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

    /** Reverts every change at once, one after another, without holds; see {@link #prepare} for the budgeted way. */
    public List<Step> revert(ApplyResult applied) {
        Prepared p = prepare(applied, null);
        for (Change c : p.changes()) {
            p.write(c);
        }
        return p.steps(null);
    }

    /**
     * Checks that every field the run wrote still holds what it wrote (all or nothing: throws {@link Changed}
     * otherwise) and returns the revert to carry out, one change at a time, e.g. through the rollout budget.
     *
     * @param hold null, or the hold to record on each reverted object (its target and onObject are filled in
     *             per object; its policies narrowed to the change's)
     */
    public Prepared prepare(ApplyResult applied, Hold hold) {
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
        // Reverse order: the last change made is the first undone.
        List<Outcome> order = new ArrayList<>(written);
        java.util.Collections.reverse(order);
        return new Prepared(order, versions, hold);
    }

    /** A checked revert: its changes (the run's, last first) and how to revert each. */
    public final class Prepared {
        private final Map<String, Outcome> byId = new LinkedHashMap<>();
        private final Map<Outcome, String> versions;
        private final Hold hold;
        private final Map<String, Step> steps = new LinkedHashMap<>();
        private final List<Hold> holds = new ArrayList<>();

        private Prepared(List<Outcome> order, Map<Outcome, String> versions, Hold hold) {
            order.forEach(o -> byId.put(o.change().id(), o));
            this.versions = versions;
            this.hold = hold;
        }

        /** The run's applied changes, last first; pod-restarting ones keep that flag for the budget. */
        public List<Change> changes() {
            return byId.values().stream().map(Outcome::change).toList();
        }

        /** Reverts one change; APPLIED when reverted, UNCHANGED when the object is gone, FAILED otherwise. */
        public Outcome write(Change c) {
            Outcome o = byId.get(c.id());
            Hold h = hold == null ? null : new Hold(c.target(), hold.runId(), hold.since(), narrowed(c),
                    !Change.CREATE.equals(o.operation()));
            Step step = revertOne(o, versions.getOrDefault(o, o.resourceVersion()), h);
            steps.put(c.id(), step);
            if (h != null && "reverted".equals(step.result())) {
                holds.add(h);
            }
            Status status = "reverted".equals(step.result()) ? Status.APPLIED
                    : "gone".equals(step.result()) ? Status.UNCHANGED : Status.FAILED;
            return new Outcome(c, status, step.action(), null, null, null, 1, step.detail(), null);
        }

        private Map<String, Long> narrowed(Change c) {
            Map<String, Long> out = new LinkedHashMap<>();
            for (String p : c.policies()) {
                out.put(p, hold.policies().getOrDefault(p, -1L));
            }
            return out;
        }

        /** The steps in revert order; changes never attempted (the budget halted) are "deferred". */
        public List<Step> steps(RolloutResult result) {
            List<Step> out = new ArrayList<>();
            for (Outcome o : byId.values()) {
                Change c = o.change();
                Step s = steps.get(c.id());
                String action = Change.CREATE.equals(o.operation()) ? "delete" : "patch";
                RolloutOutcome r = result == null ? null : result.of(c.id());
                if (s == null) {
                    out.add(new Step(c.id(), c.target().toString(), action, "deferred",
                            r == null ? null : r.detail()));
                } else if (r != null && c.restartsPods() && "reverted".equals(s.result())) {
                    out.add(new Step(s.changeId(), s.target(), s.action(), s.result(), r.detail()));
                } else {
                    out.add(s);
                }
            }
            return out;
        }

        /** The holds recorded, one per reverted object. */
        public List<Hold> holds() {
            return List.copyOf(holds);
        }
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
    private GenericKubernetesResource patchWhileStillAsWritten(Outcome o, String expectedVersion, Hold hold) {
        String version = expectedVersion;
        for (int attempt = 1; ; attempt++) {
            ObjectNode patch = o.revertPatch().deepCopy();
            patch.withObject("/metadata").put("resourceVersion", version);
            if (hold != null) {
                hold.annotations().forEach(patch.withObject("/metadata").withObject("/annotations")::put);
            }
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

    private Step revertOne(Outcome o, String expectedVersion, Hold hold) {
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
            GenericKubernetesResource after = patchWhileStillAsWritten(o, expectedVersion, hold);
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

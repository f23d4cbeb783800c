package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Mode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns the remedies of ENFORCE policies' findings (of every policy, for a preview) into a {@link Plan}. Pure: no I/O; the same input gives the
 * same plan.
 *
 * <p>The plan never holds a write Meshwarden must not make, whatever a rule proposes: replicas of a workload an HPA
 * scales (the two would fight, istio#27581), Job objects (their templates are immutable), Helm release storage
 * (values overlays are left to {@code helm upgrade}).
 */
public final class Planner {
    public static final String VALUES_OVERLAY_REASON =
            "Helm values drift: apply the overlay with helm upgrade; Meshwarden never writes release Secrets";
    /** Restarts are the staged onboarding run's (issue 15), which batches them through the change budget. */
    public static final String ROLLOUT_RESTART_REASON = "a rollout restart is reported, not applied by enforcement "
            + "runs: the onboarding run restarts them in batches (POST /api/v1/onboarding/<policy>/dry-run lists "
            + "its order and patches, POST /api/v1/onboarding/<policy> runs it)";
    static final String JOB_REASON = "Job templates are immutable; fix the owner (CronJob, chart or pipeline) that "
            + "creates the Job";

    private static final Comparator<String> NULLS_FIRST = Comparator.nullsFirst(Comparator.naturalOrder());
    private static final Comparator<Skipped> SKIPPED_ORDER = Comparator.comparing(Skipped::policy)
            .thenComparing(Skipped::target).thenComparing(Skipped::rule, NULLS_FIRST)
            .thenComparing(Skipped::reason, NULLS_FIRST);

    private Planner() {
    }

    /** The writes of one object and action, accumulated over findings. */
    private static final class Draft {
        final ResourceRef target;
        final String action;
        final ObjectNode body;
        final boolean wouldApply;
        final Set<String> policies = new TreeSet<>();
        final Set<String> rules = new TreeSet<>();
        final Set<String> reasons = new LinkedHashSet<>();
        boolean restartsPods;

        Draft(ResourceRef target, String action, ObjectNode body, boolean wouldApply) {
            this.target = target;
            this.action = action;
            this.body = body;
            this.wouldApply = wouldApply;
        }
    }

    /** Enforce-mode and audit-mode changes to one object stay apart: a preview must not merge them. */
    private record Key(ResourceRef target, String action, boolean wouldApply) {
    }

    /** The plan of an enforcing run: enforce-mode policies only, nothing on hold. */
    public static Plan plan(List<MeshPolicy> policies, EvaluationResult result, ClusterSnapshot snapshot) {
        return plan(policies, result, snapshot, Map.of(), false);
    }

    /**
     * @param holds   by {@link Hold#key}: a held policy's findings on the object are skipped with the hold's reason
     * @param preview plan audit-mode policies too (a dry run), their changes marked {@code wouldApply=false}; the
     *                changes of enforce-mode policies keep the ids an enforcing run gives them
     */
    public static Plan plan(List<MeshPolicy> policies, EvaluationResult result, ClusterSnapshot snapshot,
            Map<String, Hold> holds, boolean preview) {
        Set<String> enforcing = new TreeSet<>();
        Map<String, Long> generations = new HashMap<>();
        for (MeshPolicy p : policies) {
            generations.put(p.name(), p.metadata().generation());
            if (p.spec().mode() == Mode.ENFORCE) {
                enforcing.add(p.name());
            }
        }
        List<Finding> findings = new ArrayList<>(result.findings());
        // Merge conflicts are resolved in favour of the first finding, so the order must not depend on the caller.
        findings.sort(Finding.ORDER);
        Map<Key, Draft> drafts = new HashMap<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Finding f : findings) {
            boolean enforced = enforcing.contains(f.policy());
            if (!enforced && !(preview && generations.containsKey(f.policy()))) {
                continue;
            }
            ResourceRef target = f.remedy() == null || f.remedy().target() == null ? f.resource() : f.remedy().target();
            Hold hold = holds.get(Hold.key(target));
            if (hold != null && hold.holds(f.policy(), generations.getOrDefault(f.policy(), 0L))) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, f.remedy() == null ? null : f.remedy().action(),
                        hold.reason()));
                continue;
            }
            add(f, snapshot, drafts, skipped, enforced);
        }
        dropWritesToDeleted(drafts, skipped);
        List<Draft> ordered = new ArrayList<>(drafts.values());
        ordered.sort(Comparator.comparing((Draft d) -> d.restartsPods).thenComparing(d -> d.target)
                .thenComparing(d -> d.action).thenComparing(d -> !d.wouldApply));
        Map<Draft, String> ids = new HashMap<>();
        // Counted by the id's own prefix: two kinds of one name in different API groups must not share an id.
        // Enforce-mode changes are numbered first, so a preview names them as the enforcing run will.
        Map<String, Integer> perTarget = new TreeMap<>();
        for (boolean applying : new boolean[] {true, false}) {
            for (Draft d : ordered) {
                if (d.wouldApply == applying) {
                    ids.put(d, id(d.target, perTarget.merge(id(d.target, 0), 1, Integer::sum)));
                }
            }
        }
        List<Change> changes = new ArrayList<>();
        for (Draft d : ordered) {
            changes.add(new Change(ids.get(d), d.target, d.action, d.body, d.restartsPods,
                    List.copyOf(d.policies), List.copyOf(d.rules), String.join("; ", d.reasons), d.wouldApply));
        }
        skipped.sort(SKIPPED_ORDER);
        return new Plan(changes, skipped);
    }

    private static void add(Finding f, ClusterSnapshot snapshot, Map<Key, Draft> drafts, List<Skipped> skipped,
            boolean enforced) {
        Remedy r = f.remedy();
        if (r == null) {
            skipped.add(new Skipped(f.policy(), f.rule(), f.resource(), null, "the rule proposes no remedy"));
            return;
        }
        ResourceRef target = r.target() == null ? f.resource() : r.target();
        String action = r.action();
        if (Remedy.VALUES_OVERLAY.equals(action)) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, VALUES_OVERLAY_REASON));
            return;
        }
        if (Remedy.ROLLOUT_RESTART.equals(action)) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, ROLLOUT_RESTART_REASON));
            return;
        }
        if (Remedy.NONE.equals(action)) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action,
                    "no safe automatic fix" + (r.note() == null ? "" : ": " + r.note())));
            return;
        }
        if (!Remedy.PATCH.equals(action) && !Remedy.CREATE.equals(action) && !Remedy.DELETE.equals(action)) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, "unknown remedy action " + action));
            return;
        }
        if (ResourceRef.HELM_RELEASE_KIND.equals(target.kind())) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, VALUES_OVERLAY_REASON));
            return;
        }
        if (isJob(target)) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, JOB_REASON));
            return;
        }
        boolean delete = Remedy.DELETE.equals(action);
        if (!delete && (r.patch() == null || !r.patch().isObject())) {
            skipped.add(new Skipped(f.policy(), f.rule(), target, action, "the remedy carries no object to send"));
            return;
        }
        // A delete sends no body; the Applier deletes only an object that carries our managed-by label.
        ObjectNode body = delete ? JsonNodeFactory.instance.objectNode()
                : ((ObjectNode) r.patch()).deepCopy();
        if (Remedy.PATCH.equals(action) && MergePatch.sets(body, "spec.replicas")) {
            Hpa hpa = hpaScaling(target, snapshot);
            if (hpa != null) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, action, "HorizontalPodAutoscaler "
                        + hpa.namespace() + "/" + hpa.name() + " owns spec.replicas of " + target
                        + "; writing replicas would fight it: raise the HPA's minReplicas instead"));
                body = MergePatch.without(body, "spec.replicas");
                if (body == null) {
                    return;
                }
            }
        }
        Key key = new Key(target, action, enforced);
        Draft d = drafts.get(key);
        if (d == null) {
            d = new Draft(target, action, body, enforced);
            drafts.put(key, d);
        } else if (Remedy.CREATE.equals(action) || delete) {
            if (!MergePatch.same(d.body, body)) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, action, "conflicts with the object "
                        + String.join(", ", d.policies) + " asked to create; the first one is kept"));
                return;
            }
        } else {
            List<String> conflicts = MergePatch.mergeInto(d.body, body);
            if (!conflicts.isEmpty()) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, action, "sets " + String.join(", ", conflicts)
                        + " to other values than " + String.join(", ", d.policies) + "; the first one is kept"));
                return;
            }
        }
        d.policies.add(f.policy());
        d.rules.add(f.rule());
        d.reasons.add(f.message());
        d.restartsPods |= r.restartsPods();
    }

    /** An object the plan deletes gets no other write: a patch after the delete would find it gone. */
    private static void dropWritesToDeleted(Map<Key, Draft> drafts, List<Skipped> skipped) {
        drafts.values().removeIf(d -> {
            if (Remedy.DELETE.equals(d.action) || !drafts.containsKey(new Key(d.target, Remedy.DELETE, d.wouldApply))) {
                return false;
            }
            for (String policy : d.policies) {
                for (String rule : d.rules) {
                    skipped.add(new Skipped(policy, rule, d.target, d.action, "the plan deletes this object"));
                }
            }
            return true;
        });
    }

    /** The HPA that scales the target, by its scaleTargetRef; null when none does. */
    static Hpa hpaScaling(ResourceRef target, ClusterSnapshot snapshot) {
        List<Hpa> hpas = snapshot.hpasScaling(target.kind(), target.namespace(), target.name());
        return hpas.isEmpty() ? null : hpas.get(0);
    }

    static boolean isJob(ResourceRef target) {
        return "Job".equals(target.kind()) && "batch".equals(group(target.apiVersion()));
    }

    static String group(String apiVersion) {
        int slash = apiVersion == null ? -1 : apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    /** @param n 0 for the prefix alone */
    static String id(ResourceRef t, int n) {
        String prefix = t.kind() + "/" + (t.namespace() == null ? "" : t.namespace() + "/") + t.name();
        return n == 0 ? prefix : prefix + "#" + n;
    }
}

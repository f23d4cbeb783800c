package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.RunningPods;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The onboarding order of a staged-restart policy (SidecarCoverage) on a snapshot: the workloads its findings would
 * restart, each with the one pod-template change that restarts it as {@code kubectl rollout restart} does, the
 * sidecar sizing of the policies that cover it folded in. Pure: no I/O, no clock; the restart time comes from the
 * caller, and the same input gives the same plan.
 *
 * <p>Order: workloads no HPA scales before those one does (a restart that adds sidecars adds their CPU, which an HPA
 * may answer by scaling out: the incident this run exists to avoid, so they come once the others went well), each
 * group smallest first by running pods (replicas when none were counted), ties by namespace, kind and name. Batches
 * of {@link StagedRestarts#batchSize} follow that order.
 */
public final class OnboardingPlanner {
    static final String LOSES_SIDECAR = "loses-sidecar";
    static final String NO_PRESIZING = "no-presizing";

    private static final Comparator<Candidate> ORDER = Comparator.comparing((Candidate c) -> c.hpa != null)
            .thenComparingInt(c -> c.size).thenComparing(c -> c.target);

    private OnboardingPlanner() {
    }

    /** A workload the policy's findings restart, before it has a place in the order. */
    private static final class Candidate {
        final ResourceRef target;
        final Workload workload;
        final int runningPods;
        final int size;
        final Hpa hpa;
        final boolean sidecarAfter;
        final Set<String> rules = new TreeSet<>();
        final Set<String> reasons = new LinkedHashSet<>();

        Candidate(ResourceRef target, Workload workload, ClusterSnapshot snapshot, Mesh mesh) {
            this.target = target;
            this.workload = workload;
            this.runningPods = snapshot.runningPods(workload).map(RunningPods::total).orElse(0);
            this.size = runningPods > 0 || workload.replicas() == null ? runningPods : workload.replicas();
            this.hpa = snapshot.hpaFor(workload).orElse(null);
            this.sidecarAfter = mesh.injection(workload).injected();
        }
    }

    /**
     * @param policy      a policy whose parameters are {@link StagedRestarts}
     * @param policies    every policy served: those whose type sizes sidecars ({@link PolicyKind#presize}) are
     *                    folded into the restarts when the policy asks for it, whatever their mode
     * @param restartedAt the restart time every patch carries, to the second as kubectl writes it
     */
    public static OnboardingPlan plan(MeshPolicy policy, List<MeshPolicy> policies, ClusterSnapshot snapshot,
            Instant restartedAt) {
        if (!(policy.spec().parameters() instanceof StagedRestarts staging)) {
            throw new IllegalArgumentException("policy " + policy.name() + " of type " + policy.spec().type().name()
                    + " stages no restarts");
        }
        Mesh mesh = new Mesh(snapshot);
        Map<ResourceRef, Candidate> byTarget = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        List<Finding> findings = new ArrayList<>(Evaluator.evaluate(policy, snapshot).findings());
        findings.sort(Finding.ORDER);
        for (Finding f : findings) {
            Remedy r = f.remedy();
            ResourceRef target = r == null || r.target() == null ? f.resource() : r.target();
            if (r == null || !Remedy.ROLLOUT_RESTART.equals(r.action())) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, r == null ? null : r.action(),
                        r == null || r.note() == null ? "the rule proposes no restart" : r.note()));
                continue;
            }
            Optional<Workload> w = WorkloadKind.ofKindName(target.kind())
                    .flatMap(k -> snapshot.workload(k, target.namespace(), target.name()));
            if (w.isEmpty()) {
                skipped.add(new Skipped(f.policy(), f.rule(), target, r.action(), "not a workload of the snapshot"));
                continue;
            }
            Candidate c = byTarget.computeIfAbsent(target, t -> new Candidate(t, w.get(), snapshot, mesh));
            c.rules.add(f.rule());
            c.reasons.add(f.message());
        }
        List<Candidate> ordered = new ArrayList<>(byTarget.values());
        ordered.sort(ORDER);
        Map<String, Map<ResourceRef, Remedy>> sizing = staging.presizeProxies()
                ? sizing(policy, policies, ordered, snapshot) : Map.of();
        String at = restartedAt.truncatedTo(ChronoUnit.SECONDS).toString();
        List<OnboardingPlan.Step> steps = new ArrayList<>();
        List<String> losesSidecar = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            Candidate c = ordered.get(i);
            steps.add(step(policy, c, i + 1, i / staging.batchSize() + 1, at, sizing));
            if (!c.sidecarAfter) {
                losesSidecar.add(c.target.toString());
            }
        }
        List<Note> notes = new ArrayList<>();
        if (policy.spec().type() instanceof PolicyKind kind) {
            notes.addAll(kind.notes(policy, snapshot));
        }
        if (!losesSidecar.isEmpty()) {
            notes.add(new Note(LOSES_SIDECAR, policy.name(), losesSidecar.size() + " workload(s) lose istio-proxy "
                    + "and with it mTLS when restarted, since injection is off for them now: " + String.join(", ",
                            losesSidecar) + ". Their traffic goes in plain text, and peers whose PeerAuthentication "
                    + "is STRICT refuse it; Meshwarden does not read PeerAuthentications, so which peers are STRICT "
                    + "was not checked."));
        }
        if (!staging.presizeProxies() && steps.stream().anyMatch(OnboardingPlan.Step::sidecarAfter)) {
            notes.add(new Note(NO_PRESIZING, policy.name(), "presizeProxies is false: the restarts carry no "
                    + "sidecar sizing, so new sidecars start with what the injector gives them now"));
        }
        int batches = ordered.isEmpty() ? 0 : (ordered.size() - 1) / staging.batchSize() + 1;
        return new OnboardingPlan(policy.name(), policy.spec().mode().wire(), at, staging.batchSize(),
                staging.pauseSeconds(), staging.presizeProxies(), batches, steps, losesSidecar, notes, skipped);
    }

    /** By sizing policy name (sorted: on a conflict the first is kept, as the Planner does), the remedy per target. */
    private static Map<String, Map<ResourceRef, Remedy>> sizing(MeshPolicy policy, List<MeshPolicy> policies,
            List<Candidate> ordered, ClusterSnapshot snapshot) {
        List<Workload> gaining = ordered.stream().filter(c -> c.sidecarAfter).map(c -> c.workload).toList();
        Map<String, Map<ResourceRef, Remedy>> out = new TreeMap<>();
        if (gaining.isEmpty()) {
            return out;
        }
        for (MeshPolicy p : policies) {
            if (!p.name().equals(policy.name()) && p.spec().type() instanceof PolicyKind kind) {
                Map<ResourceRef, Remedy> remedies = kind.presize(p, gaining, snapshot);
                if (!remedies.isEmpty()) {
                    out.put(p.name(), remedies);
                }
            }
        }
        return out;
    }

    private static OnboardingPlan.Step step(MeshPolicy policy, Candidate c, int order, int batch, String at,
            Map<String, Map<ResourceRef, Remedy>> sizing) {
        ObjectNode annotations = Json.F.objectNode().put(Remedy.RESTARTED_AT, at);
        ObjectNode body = Json.nest(c.workload.kind().templatePath() + ".metadata.annotations", annotations);
        Set<String> policies = new TreeSet<>(Set.of(policy.name()));
        List<String> presizedBy = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, Map<ResourceRef, Remedy>> e : sizing.entrySet()) {
            Remedy r = e.getValue().get(c.target);
            if (r == null) {
                continue;
            }
            if (!Remedy.PATCH.equals(r.action()) || r.patch() == null || !r.patch().isObject()
                    || !c.target.equals(r.target())) {
                notes.add("sizing of " + e.getKey() + " is not in the patch (" + r.action() + " of " + r.target()
                        + ")" + (r.note() == null ? "" : ": " + r.note()));
                continue;
            }
            List<String> conflicts = MergePatch.mergeInto(body, r.patch());
            if (!conflicts.isEmpty()) {
                notes.add("sizing of " + e.getKey() + " is not in the patch: it sets " + String.join(", ", conflicts)
                        + " to other values than " + String.join(", ", presizedBy) + "; the first one is kept");
                continue;
            }
            presizedBy.add(e.getKey());
            policies.add(e.getKey());
        }
        Change change = new Change(Planner.id(c.target, 1), c.target, Change.PATCH, body, true,
                List.copyOf(policies), List.copyOf(c.rules), String.join("; ", c.reasons));
        OnboardingPlan.Hpa hpa = c.hpa == null ? null : new OnboardingPlan.Hpa(c.hpa.name(), c.hpa.minReplicas(),
                c.hpa.maxReplicas(), c.hpa.desiredReplicas());
        return new OnboardingPlan.Step(order, batch, change, c.runningPods, c.workload.replicas(), hpa,
                c.hpa != null, c.sidecarAfter, presizedBy, notes);
    }
}

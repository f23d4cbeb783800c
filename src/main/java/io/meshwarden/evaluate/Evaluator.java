package io.meshwarden.evaluate;

import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Applies policies to a cluster snapshot. Pure: no I/O, no clients, no clock; the same input gives the same
 * output, findings in {@link Finding#ORDER}. It is handed the policy kinds (the registry in
 * {@code io.meshwarden.policies}) and names none of them.
 */
public final class Evaluator {
    private final List<PolicyKind> kinds;

    public Evaluator(List<? extends PolicyKind> kinds) {
        this.kinds = List.copyOf(kinds);
    }

    public EvaluationResult evaluate(List<MeshPolicy> policies, ClusterSnapshot snapshot) {
        List<Finding> findings = new ArrayList<>();
        List<Note> notes = new ArrayList<>(auditNotes(policies, snapshot));
        int evaluated = 0;
        for (MeshPolicy policy : policies) {
            RuleOutcome outcome = evaluate(policy, snapshot);
            findings.addAll(outcome.findings());
            evaluated += outcome.checks();
            if (outcome.checks() == 0) {
                notes.add(new Note(Note.TARGET_SELECTS_NOTHING, policy.name(), "made no check: its target selects "
                        + "nothing this type checks in the snapshot, or all of it is exempt"));
            }
            if (policy.spec().type() instanceof PolicyKind kind) {
                notes.addAll(kind.notes(policy, snapshot));
            }
        }
        notes.sort(Note.ORDER);
        findings.sort(Finding.ORDER);
        compact(findings);
        Map<String, Integer> byType = new TreeMap<>();
        Map<String, Integer> byRule = new TreeMap<>();
        for (Finding f : findings) {
            byType.merge(f.type().name(), 1, Integer::sum);
            byRule.merge(f.rule(), 1, Integer::sum);
        }
        int passed = evaluated - findings.size();
        Summary summary = new Summary(findings.size(), byType, byRule, evaluated, passed,
                Summary.score(evaluated, passed));
        return new EvaluationResult(findings, cost(policies, snapshot), summary, notes);
    }

    /** What makes the whole audit weaker than its score says, whatever the policies. */
    static List<Note> auditNotes(List<MeshPolicy> policies, ClusterSnapshot snapshot) {
        List<Note> out = new ArrayList<>();
        if (policies.isEmpty()) {
            out.add(new Note(Note.NO_POLICIES, null, "no policies: nothing was checked, the score of 100% says "
                    + "nothing"));
        }
        if (!hasIstiod(snapshot)) {
            out.add(new Note(Note.NO_ISTIOD, null, "no istiod found (no Helm release of the istiod or istio chart, "
                    + "Sail Istio, IstioOperator, or Deployment labelled app=istiod): is this the mesh's snapshot?"));
        }
        return out;
    }

    private static boolean hasIstiod(ClusterSnapshot snapshot) {
        if (!new Mesh(snapshot).istiodSources().isEmpty() || !snapshot.helmReleasesOfChart("istio").isEmpty()) {
            return true;
        }
        for (Workload w : snapshot.workloadsOfKind(WorkloadKind.DEPLOYMENT)) {
            if ("istiod".equals(w.labels().get("app")) || "istiod".equals(w.podLabels().get("app"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A published report holds every finding until the next audit, so their size is the service's heap: most
     * findings of one rule carry equal remedy documents, references and strings (the same label patch for every
     * CronJob), and sharing one instance of each cut the retained size per finding by more than half (see
     * BENCHMARKS.md). Remedy patches are never mutated after this point (readers deep-copy before merging).
     */
    static void compact(List<Finding> findings) {
        Map<Object, Object> shared = new HashMap<>();
        for (int i = 0; i < findings.size(); i++) {
            Finding f = findings.get(i);
            Remedy r = f.remedy();
            Remedy remedy = r == null ? null : share(shared, new Remedy(share(shared, r.target()), r.action(),
                    share(shared, r.patch()), r.restartsPods(), share(shared, r.note())));
            findings.set(i, new Finding(f.policy(), f.type(), share(shared, f.rule()), f.severity(),
                    share(shared, f.resource()), share(shared, f.helmRelease()), share(shared, f.path()),
                    share(shared, f.expected()), share(shared, f.actual()), f.message(), remedy));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T share(Map<Object, Object> shared, T value) {
        return value == null ? null : (T) shared.computeIfAbsent(value, v -> v);
    }

    /** The cost summary of the first kind that gives one (ProxySizing does, even without policies of its own). */
    private CostSummary cost(List<MeshPolicy> policies, ClusterSnapshot snapshot) {
        for (PolicyKind kind : kinds) {
            List<MeshPolicy> ofKind = new ArrayList<>();
            for (MeshPolicy p : policies) {
                if (p.spec().type() == kind) {
                    ofKind.add(p);
                }
            }
            Optional<CostSummary> cost = kind.cost(ofKind, snapshot);
            if (cost.isPresent()) {
                return cost.get();
            }
        }
        return null;
    }

    /** One policy, dispatched on its type. */
    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        if (policy.spec().type() instanceof PolicyKind kind) {
            return kind.evaluate(policy, snapshot);
        }
        throw new IllegalArgumentException("policy " + policy.name() + " has no type the evaluator knows");
    }
}

package io.meshwarden.evaluate;

import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Applies policies to a cluster snapshot. Pure: no I/O, no clients, no clock; the same input gives the same
 * output, findings in {@link Finding#ORDER}.
 */
public final class Evaluator {
    private Evaluator() {
    }

    public static EvaluationResult evaluate(List<MeshPolicy> policies, ClusterSnapshot snapshot) {
        List<Finding> findings = new ArrayList<>();
        List<MeshPolicy> sizing = new ArrayList<>();
        int evaluated = 0;
        for (MeshPolicy policy : policies) {
            RuleOutcome outcome = evaluate(policy, snapshot);
            findings.addAll(outcome.findings());
            evaluated += outcome.checks();
            if (policy.spec().parameters() instanceof Parameters.ProxySizing) {
                sizing.add(policy);
            }
        }
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
        return new EvaluationResult(findings, ProxySizingRule.cost(sizing, snapshot), summary);
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

    /** One policy, dispatched on its parameters' type. */
    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        Parameters p = policy.spec().parameters();
        if (p instanceof Parameters.HaMinimum) {
            return HaMinimumRule.evaluate(policy, snapshot);
        } else if (p instanceof Parameters.InjectionExclusion) {
            return InjectionExclusionRule.evaluate(policy, snapshot);
        } else if (p instanceof Parameters.HeaderRemoval) {
            return HeaderRemovalRule.evaluate(policy, snapshot);
        } else if (p instanceof Parameters.ProxySizing) {
            return ProxySizingRule.evaluate(policy, snapshot);
        } else if (p instanceof Parameters.TraceSampling) {
            return TraceSamplingRule.evaluate(policy, snapshot);
        }
        throw new IllegalArgumentException("policy " + policy.name() + " has no parameters of a known type");
    }
}

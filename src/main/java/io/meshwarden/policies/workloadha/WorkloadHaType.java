package io.meshwarden.policies.workloadha;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.DisruptionBudgets;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.List;

/**
 * WorkloadHa: the application Deployments and StatefulSets of the targeted namespaces survive a node drain: enough
 * replicas, and PodDisruptionBudgets that let the drain through. HaMinimum does the same for the mesh's own
 * components, with its chart values and a PDB it may create; this type reads only the live objects and, since
 * application replicas and PDBs belong to their owners (a chart, a GitOps repository), proposes its fixes as
 * advice.
 */
public final class WorkloadHaType implements PolicyKind {
    public static final WorkloadHaType TYPE = new WorkloadHaType();

    private static final Shape PARAMETERS = Shape.of(
            new Field.Int("minimumReplicas", 1, 1000, 2, "The fewest replicas each Deployment and StatefulSet must "
                    + "run: spec.replicas without an HPA, the HPA's minReplicas when one scales it"));

    private WorkloadHaType() {
    }

    public String name() {
        return "WorkloadHa";
    }

    public String description() {
        return "application Deployments and StatefulSets run enough replicas and have PodDisruptionBudgets that let "
                + "node drains proceed";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new WorkloadHaParameters(v.integer("minimumReplicas"));
    }

    public void write(Parameters parameters, ObjectNode o) {
        o.put("minimumReplicas", ((WorkloadHaParameters) parameters).minimumReplicas());
    }

    public List<RuleId> rules() {
        return List.of(ReplicasRule.MIN_REPLICAS, DisruptionRule.PDB_BLOCKS_EVICTION, DisruptionRule.PDB_OVERLAPPING);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        WorkloadHaParameters p = (WorkloadHaParameters) policy.spec().parameters();
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : snapshot.workloads()) {
            if ((w.kind() != WorkloadKind.DEPLOYMENT && w.kind() != WorkloadKind.STATEFUL_SET) || !scope.covers(w)) {
                continue;
            }
            Hpa hpa = DisruptionBudgets.hpaOf(w, snapshot);
            ReplicasRule.check(w, hpa, p, scope, checks);
            DisruptionRule.check(w, hpa, p, snapshot, scope, checks);
        }
        return checks.outcome();
    }
}

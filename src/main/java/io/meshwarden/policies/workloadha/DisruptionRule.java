package io.meshwarden.policies.workloadha;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.DisruptionBudgets;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.Workload;
import java.util.List;

/**
 * The PodDisruptionBudgets of an application workload, checked as HaMinimum checks a mesh component's (the shared
 * {@link DisruptionBudgets}): each must leave one eviction at the replicas the workload runs when quiet, and at most
 * one may select its pods. The blocking fix is advice; retiring a PDB Meshwarden itself created is not, since it is
 * Meshwarden's own object and a revert re-creates it.
 */
final class DisruptionRule {
    static final RuleId PDB_BLOCKS_EVICTION = new RuleId("workload-pdb-blocks-eviction",
            "A PodDisruptionBudget of an application workload allows no eviction at the replicas it runs (its HPA's "
                    + "floor), so drains hang");
    static final RuleId PDB_OVERLAPPING = new RuleId("workload-pdb-overlapping",
            "More than one PodDisruptionBudget selects an application workload's pods, so the eviction API refuses "
                    + "them all");

    private static final String RAISE_NOTE = "More replicas keep the protection the PDB's owner asked for; loosening "
            + "the PDB gives it up.";

    private DisruptionRule() {
    }

    static void check(Workload w, Hpa hpa, WorkloadHaParameters p, ClusterSnapshot s, Scope scope, Checks checks) {
        // Every PDB counts for the overlap, whoever owns it and whether or not it is exempt: the eviction API counts
        // them all.
        List<Pdb> pdbs = s.pdbsFor(w);
        DisruptionBudgets.checkOverlap(PDB_OVERLAPPING, w, pdbs, checks);
        DisruptionBudgets.checkBlocking(PDB_BLOCKS_EVICTION, w, hpa, pdbs, p.minimumReplicas(), s, scope, checks,
                Advice::of, RAISE_NOTE);
    }
}

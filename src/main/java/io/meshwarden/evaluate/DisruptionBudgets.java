package io.meshwarden.evaluate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Json;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The PodDisruptionBudget checks every HA rule shares, whether it guards a mesh component or an application: whether
 * a workload's PDBs let a drain evict one of its pods at the replica count it runs when the cluster is quiet, and
 * whether more than one PDB selects its pods. The types keep their own rule ids and decide how their remedies are
 * applied; the arithmetic, the messages and the proposed fix live here once.
 */
public final class DisruptionBudgets {
    private DisruptionBudgets() {
    }

    /**
     * Replicas when the cluster is quiet, which is when nodes get drained: the HPA's floor when an HPA scales the
     * workload, else {@code spec.replicas} (1 when absent, as the API defaults it).
     */
    public static int quietReplicas(Workload w, Hpa hpa) {
        return hpa != null ? hpa.minReplicas() : w.replicas() == null ? 1 : w.replicas();
    }

    /** The HPA that owns a workload's replicas; the first when several (a misconfiguration the HPA refuses). */
    public static Hpa hpaOf(Workload w, ClusterSnapshot s) {
        List<Hpa> hpas = s.hpasFor(w);
        return hpas.isEmpty() ? null : hpas.get(0);
    }

    /** The name Meshwarden gives a PDB it creates for a workload. */
    public static String ownPdbName(Workload w) {
        return w.name() + "-meshwarden";
    }

    /** For a remedy that changes an HPA a Helm release may render. */
    public static String hpaHelmNote(Workload w) {
        String release = w.annotations().get(Mesh.HELM_RELEASE_NAME);
        return "Does not restart pods." + (release == null ? ""
                : " Helm release " + release + " renders this HPA: change its values too, or the next upgrade "
                        + "reverts this.");
    }

    /**
     * The eviction API refuses a pod that more than one PDB selects ("This pod has more than one
     * PodDisruptionBudget, which the eviction subresource does not support"), so every drain of its node fails. When
     * one of them is ours and another is not, ours goes: the chart's or the user's PDB is the one they maintain.
     *
     * @param pdbs every PDB selecting the workload's pods, whoever owns it and whether or not it is exempt: the
     *             eviction API counts them all
     */
    public static void checkOverlap(RuleId rule, Workload d, List<Pdb> pdbs, Checks checks) {
        if (pdbs.size() < 2) {
            checks.pass();
            return;
        }
        List<String> names = new ArrayList<>();
        Pdb ours = null;
        boolean foreign = false;
        for (Pdb pdb : pdbs) {
            names.add(pdb.name() + (pdb.ours() ? " (Meshwarden's)" : ""));
            if (!pdb.ours()) {
                foreign = true;
            } else if (ours == null || !pdb.name().equals(ownPdbName(d))) {
                // With two of ours and no other, keep the one named as Meshwarden names it and retire the other.
                ours = pdb;
            }
        }
        String list = String.join(", ", names);
        Remedy remedy;
        if (ours != null) {
            remedy = new Remedy(Refs.of(ours), Remedy.DELETE, null, false, "Deletes PodDisruptionBudget "
                    + ours.namespace() + "/" + ours.name() + ", which Meshwarden created; "
                    + (foreign ? "the other one protects the pods" : "the other one of Meshwarden's stays")
                    + (pdbs.size() > 2 ? ", though " + (pdbs.size() - 1) + " still overlap: remove all but one" : "")
                    + ". A revert re-creates it.");
        } else {
            remedy = Remedy.none(Refs.of(d), "None of the PodDisruptionBudgets (" + list + ") is Meshwarden's: "
                    + "delete all but one, or narrow their selectors so that one selects these pods.");
        }
        checks.fail(rule, Refs.of(d), null, "PodDisruptionBudget", "exactly one PodDisruptionBudget "
                + "selecting the pods", pdbs.size() + " (" + list + ")", d.ref() + " has its pods selected by "
                        + pdbs.size() + " PodDisruptionBudgets (" + list + "): the eviction API refuses to evict "
                        + "a pod with more than one, so every node drain fails on these pods", remedy);
    }

    /**
     * Each PDB selecting the workload's pods must leave one eviction at the quiet replica count of everything it
     * selects (the disruption controller counts the pods of every Deployment and StatefulSet it selects). PDBs the
     * policy exempts are skipped.
     *
     * @param minReplicas  the least a replica-raising remedy proposes
     * @param remedies     how the type hands the proposed fix on: as it is (applied in enforce mode) or turned into
     *                     advice
     * @param replicasNote appended to a remedy that raises the replicas (why not loosen the PDB, for this type)
     */
    public static void checkBlocking(RuleId rule, Workload d, Hpa hpa, List<Pdb> pdbs, int minReplicas,
            ClusterSnapshot s, Scope scope, Checks checks, UnaryOperator<Remedy> remedies, String replicasNote) {
        for (Pdb pdb : pdbs) {
            if (!scope.exempt(pdb.namespace(), "PodDisruptionBudget", pdb.name(), pdb.annotations())) {
                checkPdb(rule, d, hpa, pdb, minReplicas, s, checks, remedies, replicasNote);
            }
        }
    }

    private static void checkPdb(RuleId rule, Workload d, Hpa hpa, Pdb pdb, int minReplicas, ClusterSnapshot s,
            Checks checks, UnaryOperator<Remedy> remedies, String replicasNote) {
        String field = pdb.budgetField();
        if (field == null) {
            checks.pass();
            return;
        }
        String value = pdb.budgetValue();
        try {
            Pdb.scaled(value, 1);
        } catch (NumberFormatException e) {
            // The API server rejects such a PDB; nothing here to judge.
            return;
        }
        int own = quietReplicas(d, hpa);
        // More replicas never make a budget stricter, so the other workloads it selects are counted only when this
        // one's replicas alone are blocked.
        int replicas = pdb.blocksEviction(own) ? selectedReplicas(pdb, d, own, s) : own;
        if (!pdb.blocksEviction(replicas)) {
            checks.pass();
            return;
        }
        int allowing = pdb.replicasAllowingEviction(replicas);
        Remedy remedy;
        if (field.equals("maxUnavailable")) {
            remedy = new Remedy(Refs.of(pdb), Remedy.PATCH, Json.nest("spec.maxUnavailable", Json.F.numberNode(1)),
                    false, "No replica count helps while maxUnavailable is " + value + ".");
        } else if (allowing <= 0) {
            remedy = new Remedy(Refs.of(pdb), Remedy.PATCH, Json.nest("spec.maxUnavailable", Json.F.numberNode(1)),
                    false, "minAvailable " + value + " blocks at any replica count; replace it with maxUnavailable 1 "
                            + "(a merge patch cannot remove minAvailable: set it to null alongside).");
            ((ObjectNode) remedy.patch().get("spec")).putNull("minAvailable");
        } else {
            // Raise this workload by what the PDB lacks; the others it selects stay as they are.
            int needed = Math.max(minReplicas, own + allowing - replicas);
            if (hpa != null) {
                ObjectNode patch = Json.nest("spec.minReplicas", Json.F.numberNode(needed));
                if (hpa.maxReplicas() < needed) {
                    ((ObjectNode) patch.get("spec")).put("maxReplicas", needed);
                }
                remedy = new Remedy(Refs.of(hpa), Remedy.PATCH, patch, false, replicasNote + " " + hpaHelmNote(d));
            } else {
                remedy = new Remedy(Refs.of(d), Remedy.PATCH, Json.nest("spec.replicas", Json.F.numberNode(needed)),
                        false, replicasNote + " Scaling up does not restart existing pods.");
            }
        }
        String of = replicas == own ? "" : " (" + own + " of them " + d.ref() + "'s)";
        checks.fail(rule, Refs.of(pdb), null, "spec." + field, "allows at least one eviction",
                field + " " + value + " with " + replicas + " replica(s)",
                "PodDisruptionBudget " + pdb.namespace() + "/" + pdb.name() + " (" + field + " " + value
                        + ") allows no voluntary eviction of " + d.ref() + " at " + replicas + " replica(s)" + of
                        + ": every node drain blocks",
                remedies.apply(remedy));
    }

    /**
     * The pods the PDB expects when quiet: this workload's and those of every other Deployment and StatefulSet of the
     * namespace it selects.
     */
    private static int selectedReplicas(Pdb pdb, Workload d, int own, ClusterSnapshot s) {
        int total = own;
        for (Workload w : s.workloadsIn(d.namespace())) {
            boolean counted = w.kind() == WorkloadKind.DEPLOYMENT || w.kind() == WorkloadKind.STATEFUL_SET;
            boolean same = w.kind() == d.kind() && w.name().equals(d.name());
            if (counted && !same && pdb.covers(w)) {
                total += quietReplicas(w, hpaOf(w, s));
            }
        }
        return total;
    }
}

package io.meshwarden.policies.haminimum;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.DisruptionBudgets;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.ValuesSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * HaMinimum's check of the live objects: the component's Deployment, the HPA that scales it and the PDBs that select
 * its pods. A Deployment that an HPA targets never gets a replicas finding: writing replicas under an HPA starts a
 * tug of war (istio#27581).
 */
final class LiveObjectsRule {
    static final RuleId HPA_MIN_REPLICAS = new RuleId("ha-hpa-min-replicas",
            "The live HPA of a mesh component has minReplicas below the policy's floor");
    static final RuleId HPA_MAX_REPLICAS = new RuleId("ha-hpa-max-replicas",
            "The live HPA of a mesh component has maxReplicas below the policy's ceiling");
    static final RuleId DEPLOYMENT_REPLICAS = new RuleId("ha-deployment-replicas",
            "A mesh component's Deployment without an HPA runs fewer replicas than the policy's minimum");
    static final RuleId PDB_MISSING = new RuleId("ha-pdb-missing",
            "No PodDisruptionBudget selects a mesh component's pods");
    static final RuleId PDB_BLOCKS_EVICTION = new RuleId("ha-pdb-blocks-eviction",
            "A PodDisruptionBudget of a mesh component allows no eviction at the current replicas, so drains hang");
    static final RuleId PDB_OVERLAPPING = new RuleId("ha-pdb-overlapping",
            "More than one PodDisruptionBudget selects a mesh component's pods, so the eviction API refuses them all");

    /** Why a blocking minAvailable is met by more replicas rather than a looser PDB. */
    private static final String RAISE_NOTE = "Raise the replicas instead of loosening the PDB: charts such as istiod "
            + "hard-code minAvailable 1 (istio#53909).";

    private LiveObjectsRule() {
    }

    static void checkDeployment(Workload d, HaMinimumParameters p, ClusterSnapshot s, Scope scope,
            Checks checks) {
        Hpa hpa = DisruptionBudgets.hpaOf(d, s);
        if (hpa != null) {
            if (!scope.exempt(hpa.namespace(), "HorizontalPodAutoscaler", hpa.name(), hpa.annotations())) {
                checkHpa(d, hpa, p, checks);
            }
        } else {
            int replicas = d.replicas() == null ? 1 : d.replicas();
            if (replicas >= p.minReplicas()) {
                checks.pass();
            } else {
                String note = "Scaling up does not restart existing pods.";
                if (d.annotations().containsKey(Mesh.HELM_RELEASE_NAME)) {
                    note += " Helm release " + d.annotations().get(Mesh.HELM_RELEASE_NAME)
                            + " manages this Deployment: raise replicaCount in its values too, or the next upgrade "
                            + "reverts this.";
                }
                checks.fail(DEPLOYMENT_REPLICAS, Refs.of(d), null, "spec.replicas", ">= " + p.minReplicas(),
                        String.valueOf(replicas), d.ref() + " runs " + replicas + " replica(s) and no HPA targets it; "
                                + "the HA minimum is " + p.minReplicas(),
                        new Remedy(Refs.of(d), Remedy.PATCH, Json.nest("spec.replicas",
                                Json.F.numberNode(p.minReplicas())), false, note));
            }
        }
        checkPdbs(d, hpa, p, s, scope, checks);
    }

    private static void checkHpa(Workload d, Hpa hpa, HaMinimumParameters p, Checks checks) {
        String where = "HorizontalPodAutoscaler " + hpa.namespace() + "/" + hpa.name() + " of " + d.ref();
        if (hpa.minReplicas() >= p.autoscaleMin()) {
            checks.pass();
        } else {
            checks.fail(HPA_MIN_REPLICAS, Refs.of(hpa), null, "spec.minReplicas", ">= " + p.autoscaleMin(),
                    String.valueOf(hpa.minReplicas()), where + " may scale down to " + hpa.minReplicas()
                            + " replica(s); the HA minimum is " + p.autoscaleMin(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.minReplicas",
                            Json.F.numberNode(p.autoscaleMin())), false, DisruptionBudgets.hpaHelmNote(d)));
        }
        if (hpa.maxReplicas() >= p.autoscaleMax()) {
            checks.pass();
        } else {
            checks.fail(HPA_MAX_REPLICAS, Refs.of(hpa), null, "spec.maxReplicas", ">= " + p.autoscaleMax(),
                    String.valueOf(hpa.maxReplicas()), where + " may scale up to only " + hpa.maxReplicas()
                            + " replica(s); the policy asks for at least " + p.autoscaleMax(),
                    new Remedy(Refs.of(hpa), Remedy.PATCH, Json.nest("spec.maxReplicas",
                            Json.F.numberNode(p.autoscaleMax())), false, DisruptionBudgets.hpaHelmNote(d)));
        }
    }

    private static void checkPdbs(Workload d, Hpa hpa, HaMinimumParameters p, ClusterSnapshot s, Scope scope,
            Checks checks) {
        // Every PDB counts here, whoever owns it and whether or not it is exempt: the eviction API counts them all.
        List<Pdb> pdbs = s.pdbsFor(d);
        if (pdbs.isEmpty()) {
            if (p.requirePodDisruptionBudget()) {
                missingPdb(d, s, checks);
            }
            return;
        }
        if (p.requirePodDisruptionBudget()) {
            checks.pass();
        }
        DisruptionBudgets.checkOverlap(PDB_OVERLAPPING, d, pdbs, checks);
        DisruptionBudgets.checkBlocking(PDB_BLOCKS_EVICTION, d, hpa, pdbs, p.minReplicas(), s, scope, checks,
                remedy -> remedy, RAISE_NOTE);
    }

    private static void missingPdb(Workload d, ClusterSnapshot s, Checks checks) {
        ResourceRef pdbRef = new ResourceRef("policy/v1", "PodDisruptionBudget", d.namespace(),
                DisruptionBudgets.ownPdbName(d));
        Remedy remedy;
        Map<String, String> selector = d.selectorLabels();
        Optional<HelmRelease> chart = new Mesh(s).helmReleaseOf(d);
        if (chart.isPresent() && "istiod".equals(chart.get().chartName()) && chartRendersPdb(chart.get())) {
            // Found on the real charts: a PDB of ours created in the same run that raises autoscaleMin made two
            // PDBs on istiod once the overlay was applied, and the eviction API refused every istiod pod.
            remedy = Remedy.none(pdbRef, "The istiod chart of Helm release " + chart.get().name() + " renders its own "
                    + "PodDisruptionBudget once istiod runs 2 or more replicas (global.defaultPodDisruptionBudget"
                    + ".enabled is on): apply the values overlay that raises autoscaleMin (ha-helm-autoscale-min). "
                    + "Meshwarden creates none, since a second PDB on the same pods makes the eviction API refuse "
                    + "every istiod pod.");
        } else if (selector == null) {
            remedy = Remedy.none(pdbRef, "The Deployment selects its pods with matchExpressions (or has no "
                    + "spec.selector.matchLabels), which a matchLabels selector cannot repeat; create a PDB with the "
                    + "Deployment's own spec.selector by hand.");
        } else if (selector.isEmpty()) {
            remedy = Remedy.none(pdbRef, "The Deployment's selector has no labels, so a PDB selector would select "
                    + "every pod in the namespace; give it a selector first.");
        } else {
            ObjectNode pdb = Json.F.objectNode();
            pdb.put("apiVersion", "policy/v1").put("kind", "PodDisruptionBudget");
            ObjectNode meta = pdb.putObject("metadata");
            meta.put("name", pdbRef.name()).put("namespace", d.namespace());
            meta.putObject("labels").put(Ownership.MANAGED_BY, Ownership.MANAGED_BY_VALUE);
            ObjectNode spec = pdb.putObject("spec");
            spec.put("maxUnavailable", 1);
            // The Deployment's own selector: pod-template labels such as app.kubernetes.io/version or helm.sh/chart
            // change with every upgrade and would leave the PDB selecting nothing.
            spec.putObject("selector").set("matchLabels", Json.labels(selector));
            remedy = new Remedy(pdbRef, Remedy.CREATE, pdb, false,
                    "maxUnavailable 1 keeps drains possible at any replica count; it selects with the Deployment's "
                            + "spec.selector, so it keeps matching across upgrades.");
        }
        checks.fail(PDB_MISSING, Refs.of(d), null, "PodDisruptionBudget", "a PodDisruptionBudget selecting "
                + "the pods", "none", d.ref() + " has no PodDisruptionBudget: a drain may evict every replica at "
                        + "once", remedy);
    }

    /** The chart's switch for its own PDB, on unless the release's values turn it off. */
    private static boolean chartRendersPdb(HelmRelease r) {
        JsonNode enabled = ValuesSource.of(r).value("global.defaultPodDisruptionBudget.enabled");
        return !(Json.isSet(enabled) && Json.bool(enabled) == Boolean.FALSE);
    }
}

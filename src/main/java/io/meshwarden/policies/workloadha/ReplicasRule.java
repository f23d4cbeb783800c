package io.meshwarden.policies.workloadha;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.DisruptionBudgets;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Json;
import io.meshwarden.model.Workload;

/**
 * An application that runs one replica goes down on every drain of its node, and no PodDisruptionBudget helps: one
 * that protects the only pod blocks the drain instead. With an HPA, its floor is what the workload runs when the
 * cluster is quiet, which is when nodes are drained.
 */
final class ReplicasRule {
    static final RuleId MIN_REPLICAS = new RuleId("workload-min-replicas",
            "An application Deployment or StatefulSet runs (or its HPA may scale it to) fewer replicas than the "
                    + "policy's minimum");

    private static final String WHY_NOT_A_PDB = "A PodDisruptionBudget is no fix here: one that protects a single "
            + "pod (minAvailable 1, maxUnavailable 0) blocks every drain of its node, and one that lets it go is an "
            + "outage on every drain.";

    private ReplicasRule() {
    }

    static void check(Workload w, Hpa hpa, WorkloadHaParameters p, Scope scope, Checks checks) {
        int min = p.minimumReplicas();
        if (hpa != null) {
            if (scope.exempt(hpa.namespace(), "HorizontalPodAutoscaler", hpa.name(), hpa.annotations())) {
                return;
            }
            if (hpa.minReplicas() >= min) {
                checks.pass();
                return;
            }
            ObjectNode patch = Json.nest("spec.minReplicas", Json.F.numberNode(min));
            if (hpa.maxReplicas() < min) {
                ((ObjectNode) patch.get("spec")).put("maxReplicas", min);
            }
            checks.fail(MIN_REPLICAS, Refs.of(hpa), null, "spec.minReplicas", ">= " + min,
                    String.valueOf(hpa.minReplicas()), "HorizontalPodAutoscaler " + hpa.namespace() + "/"
                            + hpa.name() + " of " + w.ref() + " may scale it down to " + hpa.minReplicas()
                            + " replica(s); the policy's minimum is " + min,
                    Advice.of(new Remedy(Refs.of(hpa), Remedy.PATCH, patch, false, WHY_NOT_A_PDB + " "
                            + DisruptionBudgets.hpaHelmNote(w))));
            return;
        }
        if (w.replicas() != null && w.replicas() == 0) {
            // Scaled to zero on purpose: nothing runs, nothing to drain.
            return;
        }
        int replicas = DisruptionBudgets.quietReplicas(w, null);
        if (replicas >= min) {
            checks.pass();
            return;
        }
        String release = w.annotations().get(Mesh.HELM_RELEASE_NAME);
        String note = WHY_NOT_A_PDB + " Scaling up does not restart existing pods."
                + (release == null ? "" : " Helm release " + release + " manages this " + w.kind().kindName()
                        + ": raise its replica count in the release's values.");
        checks.fail(MIN_REPLICAS, Refs.of(w), null, "spec.replicas", ">= " + min, String.valueOf(replicas),
                w.ref() + " runs " + replicas + " replica(s) and no HPA scales it; the policy's minimum is " + min,
                Advice.of(new Remedy(Refs.of(w), Remedy.PATCH, Json.nest("spec.replicas", Json.F.numberNode(min)),
                        false, note)));
    }
}

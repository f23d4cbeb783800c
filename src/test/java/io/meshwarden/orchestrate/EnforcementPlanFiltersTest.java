package io.meshwarden.orchestrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnforcementPlanFiltersTest {
    static final ResourceRef SAIL = new ResourceRef("sailoperator.io/v1", "Istio", null, "default");
    static final ResourceRef HPA = new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system",
            "istiod");

    private static Change change(ResourceRef target) {
        return new Change(target.kind() + "#1", target, Change.PATCH, JsonNodeFactory.instance.objectNode()
                .put("x", 1), false, List.of("ha"), List.of("ha-helm-autoscale-min"), "r");
    }

    @Test
    void valueOwnersArePatchedOnlyWhenAllowed() {
        Plan plan = new Plan(List.of(change(SAIL), change(HPA)), List.of());
        Plan refused = EnforcementService.ownersAllowed(plan, false);
        assertEquals(List.of(HPA), refused.changes().stream().map(Change::target).toList());
        assertEquals(SAIL, refused.skipped().get(0).target());
        assertTrue(refused.skipped().get(0).reason().contains("meshwarden.helm.patch-owners"));
        assertEquals(plan, EnforcementService.ownersAllowed(plan, true));
    }

    @Test
    void aLiveFixOfAValuesProblemSaysTheValuesStillDrift() {
        Skipped overlay = new Skipped("ha", "ha-helm-autoscale-min", ResourceRef.helmRelease("istio-system",
                "istiod"), "values-overlay", Planner.VALUES_OVERLAY_REASON);
        Change hpa = change(HPA);
        Plan plan = new Plan(List.of(hpa), List.of(overlay));
        ApplyResult.Outcome applied = new ApplyResult.Outcome(hpa, ApplyResult.Status.APPLIED, Change.PATCH,
                hpa.body(), null, "7", 1, null, null);
        RolloutResult result = new RolloutResult(false, List.of(RolloutOutcome.of(applied)), null);
        assertEquals(List.of("live fixed, values still drift: istio-system/istiod (ha-helm-autoscale-min); "
                + "GET /api/v1/helm/istio-system/istiod/overlay"), EnforcementService.notes(plan, result));
        RolloutResult nothing = new RolloutResult(false, List.of(), null);
        assertTrue(EnforcementService.notes(new Plan(List.of(), List.of(overlay)), nothing).get(0)
                .startsWith("values drift: "));
    }

    private static Workload cronJob(String name, boolean writtenByMeshwarden) {
        return new Workload(WorkloadKind.CRON_JOB, "apps", name, Map.of(), writtenByMeshwarden
                ? Map.of(Applier.APPLIED_BY, "jobs") : Map.of(), null, Map.of(), Map.of(), null, null, false, Map.of());
    }

    /** Runs live in memory: after a restart the workloads an earlier process wrote have no revert record. */
    @Test
    void workloadsMeshwardenWroteWithoutARunThatRecordsThemAreNoted() {
        ClusterSnapshot snapshot = new ClusterSnapshot(null, List.of(cronJob("a", true), cronJob("b", true),
                cronJob("c", false)), null, null, null, null, null, null);
        assertEquals(List.of(), EnforcementService.unrecorded(ClusterSnapshot.empty(), List.of()));

        List<String> afterRestart = EnforcementService.unrecorded(snapshot, List.of());
        assertEquals(1, afterRestart.size(), afterRestart::toString);
        assertTrue(afterRestart.get(0).startsWith("2 workload(s) carry " + Applier.APPLIED_BY), afterRestart::toString);
        assertTrue(afterRestart.get(0).endsWith("CronJob apps/a, CronJob apps/b"), afterRestart::toString);

        Change a = change(new ResourceRef("batch/v1", "CronJob", "apps", "a"));
        ApplyResult.Outcome applied = new ApplyResult.Outcome(a, ApplyResult.Status.APPLIED, Change.PATCH, a.body(),
                null, "7", 1, null, null);
        EnforcementRun kept = new EnforcementRun("run-1", "manual", "me", false, Instant.EPOCH, Instant.EPOCH,
                "applied", new Plan(List.of(a), List.of()), List.of(RolloutOutcome.of(applied)), null, List.of(),
                List.of(), null);
        List<String> oneKept = EnforcementService.unrecorded(snapshot, List.of(kept));
        assertTrue(oneKept.get(0).startsWith("1 workload(s)") && oneKept.get(0).endsWith("CronJob apps/b"),
                oneKept::toString);
    }
}

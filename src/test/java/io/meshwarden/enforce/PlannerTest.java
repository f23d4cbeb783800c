package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.haminimum.HaMinimumType;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyType;
import io.meshwarden.policy.Severity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner on hand-made findings, to reach remedies no rule proposes today. */
class PlannerTest {
    static final MeshPolicy A = MockCluster.policy("a", "HaMinimum", "enforce", "{components: [istiod]}");
    static final MeshPolicy B = MockCluster.policy("b", "HaMinimum", "enforce", "{components: [istiod]}");
    static final MeshPolicy AUDIT = MockCluster.policy("c", "HaMinimum", "audit", "{components: [istiod]}");
    static final ResourceRef ISTIOD = new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod");
    static final ResourceRef WEB = new ResourceRef("apps/v1", "Deployment", "apps", "web");
    static final ResourceRef HPA = new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system",
            "istiod");
    static final ResourceRef JOB = new ResourceRef("batch/v1", "Job", "apps", "migrate");
    static final ClusterSnapshot SNAPSHOT = new ClusterSnapshot(null, null,
            List.of(new Hpa("istio-system", "istiod", "Deployment", "istiod", 1, 5, null)), null, null, null, null, null);

    static Finding finding(MeshPolicy p, String rule, ResourceRef target, String action, String patch,
            boolean restarts) {
        JsonNode body = patch == null ? null : MockCluster.json(patch);
        return new Finding(p.name(), HaMinimumType.TYPE, rule, Severity.WARNING, target, null, "spec", "x", "y",
                rule + " on " + target, new Remedy(target, action, body, restarts, "note"));
    }

    static Plan plan(List<MeshPolicy> policies, Finding... findings) {
        return Planner.plan(policies, new EvaluationResult(List.of(findings), null, null), SNAPSHOT);
    }

    @Test
    void replicasOfAnHpaScaledWorkloadAreNeverWrittenEvenWhenARemedyAsks() {
        Plan plan = plan(List.of(A), finding(A, "r1", ISTIOD, "patch", "{\"spec\":{\"replicas\":3}}", false),
                finding(A, "r2", ISTIOD, "patch",
                        "{\"spec\":{\"replicas\":3,\"template\":{\"metadata\":{\"labels\":{\"x\":\"1\"}}}}}", true));

        assertEquals(1, plan.changes().size(), plan::toString);
        Change c = plan.changes().get(0);
        assertEquals(MockCluster.json("{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"x\":\"1\"}}}}}"), c.body());
        assertEquals(List.of("r2"), c.rules());
        assertEquals(2, plan.skipped().size());
        assertTrue(plan.skipped().get(0).reason().contains("HorizontalPodAutoscaler istio-system/istiod"));
    }

    @Test
    void replicasWithoutAnHpaArePlanned() {
        Plan plan = plan(List.of(A), finding(A, "r", WEB, "patch", "{\"spec\":{\"replicas\":2}}", false));
        assertEquals(1, plan.changes().size());
        assertTrue(MergePatch.sets(plan.changes().get(0).body(), "spec.replicas"));
    }

    @Test
    void jobsHelmValuesAndNoneAreSkippedWithReasons() {
        Finding overlay = new Finding("a", HaMinimumType.TYPE, "helm", Severity.WARNING,
                ResourceRef.helmRelease("istio-system", "istiod"), new HelmRef("istio-system", "istiod", 1), "p", "x",
                "y", "m", new Remedy(ResourceRef.helmRelease("istio-system", "istiod"), "values-overlay",
                        MockCluster.json("{\"pilot\":{\"autoscaleMin\":2}}"), false, "n"));
        Plan plan = plan(List.of(A), finding(A, "job", JOB, "patch", "{\"spec\":{\"x\":1}}", false),
                finding(A, "none", WEB, "none", null, false), overlay);

        assertTrue(plan.changes().isEmpty());
        assertEquals(3, plan.skipped().size());
        List<String> reasons = new ArrayList<>();
        plan.skipped().forEach(s -> reasons.add(s.rule() + ": " + s.reason()));
        assertTrue(reasons.contains("helm: " + Planner.VALUES_OVERLAY_REASON), reasons::toString);
        assertTrue(reasons.contains("job: " + Planner.JOB_REASON), reasons::toString);
        assertTrue(reasons.contains("none: no safe automatic fix: note"), reasons::toString);
    }

    @Test
    void patchesOfOneObjectAreMergedAndConflictsKeepTheFirst() {
        Plan plan = plan(List.of(A, B), finding(A, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":2}}", false),
                finding(B, "max", HPA, "patch", "{\"spec\":{\"maxReplicas\":6}}", false),
                finding(B, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":3}}", false));

        assertEquals(1, plan.changes().size());
        Change c = plan.changes().get(0);
        assertEquals("HorizontalPodAutoscaler/istio-system/istiod#1", c.id());
        assertEquals(MockCluster.json("{\"spec\":{\"minReplicas\":2,\"maxReplicas\":6}}"), c.body());
        assertEquals(List.of("a", "b"), c.policies());
        assertEquals(List.of("max", "min"), c.rules());
        assertEquals(1, plan.skipped().size());
        assertTrue(plan.skipped().get(0).reason().contains("spec.minReplicas"), plan.skipped()::toString);
    }

    @Test
    void onlyEnforcePoliciesArePlannedAndAuditOnesLeaveNoTrace() {
        Plan plan = plan(List.of(A, AUDIT), finding(AUDIT, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":2}}",
                false), finding(AUDIT, "helm", WEB, "values-overlay", "{}", false));
        assertTrue(plan.isEmpty());
    }

    @Test
    void restartingChangesComeLastAndOrderIsDeterministic() {
        List<Finding> findings = new ArrayList<>(List.of(
                finding(A, "restart", WEB, "patch", "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                        + "{\"k\":\"v\"}}}}}", true),
                finding(A, "pdb", new ResourceRef("policy/v1", "PodDisruptionBudget", "apps", "web-meshwarden"),
                        "create", "{\"spec\":{\"maxUnavailable\":1}}", false),
                finding(B, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":2}}", false),
                finding(A, "cron", new ResourceRef("batch/v1", "CronJob", "apps", "report"), "patch",
                        "{\"spec\":{\"suspend\":false}}", false)));
        Plan first = Planner.plan(List.of(A, B), new EvaluationResult(findings, null, null), SNAPSHOT);
        Collections.reverse(findings);
        Plan second = Planner.plan(List.of(B, A), new EvaluationResult(findings, null, null), SNAPSHOT);

        assertEquals(first, second);
        List<String> ids = new ArrayList<>();
        first.changes().forEach(c -> ids.add(c.id()));
        assertEquals(List.of("CronJob/apps/report#1", "PodDisruptionBudget/apps/web-meshwarden#1",
                "HorizontalPodAutoscaler/istio-system/istiod#1", "Deployment/apps/web#1"), ids);
        assertFalse(first.changes().get(2).restartsPods());
        assertTrue(first.changes().get(3).restartsPods());
    }

    @Test
    void identicalCreatesFromTwoPoliciesBecomeOneChangeDifferentOnesConflict() {
        ResourceRef pdb = new ResourceRef("policy/v1", "PodDisruptionBudget", "apps", "web-meshwarden");
        Plan plan = plan(List.of(A, B), finding(A, "pdb", pdb, "create", "{\"spec\":{\"maxUnavailable\":1}}", false),
                finding(B, "pdb", pdb, "create", "{\"spec\":{\"maxUnavailable\":1}}", false));
        assertEquals(1, plan.changes().size());
        assertEquals(List.of("a", "b"), plan.changes().get(0).policies());

        Plan conflicting = plan(List.of(A, B), finding(A, "pdb", pdb, "create", "{\"spec\":{\"maxUnavailable\":1}}",
                false), finding(B, "pdb", pdb, "create", "{\"spec\":{\"maxUnavailable\":2}}", false));
        assertEquals(List.of("a"), conflicting.changes().get(0).policies());
        assertEquals("b", conflicting.skipped().get(0).policy());
    }

    static final ResourceRef OUR_PDB = new ResourceRef("policy/v1", "PodDisruptionBudget", "istio-system",
            "istiod-meshwarden");

    @Test
    void aDeleteRemedyBecomesADeleteChangeAndTheObjectGetsNoOtherWrite() {
        Plan plan = plan(List.of(A), finding(A, "ha-pdb-overlapping", OUR_PDB, Remedy.DELETE, null, false),
                finding(A, "ha-pdb-blocks-eviction", OUR_PDB, Remedy.PATCH, "{\"spec\":{\"maxUnavailable\":1}}",
                        false));

        assertEquals(1, plan.changes().size(), plan::toString);
        Change c = plan.changes().get(0);
        assertEquals(Change.DELETE, c.action());
        assertEquals(OUR_PDB, c.target());
        assertEquals(MockCluster.json("{}"), c.body());
        assertEquals("PodDisruptionBudget/istio-system/istiod-meshwarden#1", c.id());
        assertEquals(1, plan.skipped().size(), plan::toString);
        assertEquals("the plan deletes this object", plan.skipped().get(0).reason());
    }

    @Test
    void aPreviewPlansAuditPoliciesTooMarkedAsNotAppliedAndKeepsTheEnforcingIds() {
        Finding audit = finding(AUDIT, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":3}}", false);
        Finding enforced = finding(A, "max", HPA, "patch", "{\"spec\":{\"maxReplicas\":6}}", false);
        EvaluationResult result = new EvaluationResult(List.of(audit, enforced), null, null);

        Plan preview = Planner.plan(List.of(A, AUDIT), result, SNAPSHOT, java.util.Map.of(), true);
        Plan enforcing = Planner.plan(List.of(A, AUDIT), result, SNAPSHOT, java.util.Map.of(), false);

        assertEquals(2, preview.changes().size(), preview::toString);
        Change applied = preview.changes().stream().filter(Change::wouldApply).findFirst().orElseThrow();
        Change previewed = preview.changes().stream().filter(c -> !c.wouldApply()).findFirst().orElseThrow();
        assertEquals(List.of("a"), applied.policies());
        assertEquals(List.of("c"), previewed.policies());
        assertEquals(MockCluster.json("{\"spec\":{\"minReplicas\":3}}"), previewed.body(), "not merged with a's");
        assertEquals(1, enforcing.changes().size());
        assertTrue(enforcing.changes().get(0).wouldApply());
        assertEquals(enforcing.changes().get(0).id(), applied.id(), "the preview names it as the run will");
        assertEquals("HorizontalPodAutoscaler/istio-system/istiod#2", previewed.id());
    }

    @Test
    void heldObjectsAreSkippedForTheHeldPoliciesUntilThePolicyChanges() {
        Finding onHpa = finding(A, "min", HPA, "patch", "{\"spec\":{\"minReplicas\":2}}", false);
        Finding otherPolicy = finding(B, "max", HPA, "patch", "{\"spec\":{\"maxReplicas\":6}}", false);
        EvaluationResult result = new EvaluationResult(List.of(onHpa, otherPolicy), null, null);
        Hold hold = new Hold(new ResourceRef("autoscaling/v1", "HorizontalPodAutoscaler", "istio-system", "istiod"),
                "run-1-1", java.time.Instant.parse("2026-11-30T10:00:00Z"),
                java.util.Map.of("a", A.metadata().generation()), true);

        for (boolean preview : new boolean[] {false, true}) {
            Plan plan = Planner.plan(List.of(A, B), result, SNAPSHOT, java.util.Map.of(Hold.key(HPA), hold), preview);
            assertEquals(1, plan.changes().size(), plan::toString);
            assertEquals(List.of("b"), plan.changes().get(0).policies(), "b is not held");
            assertEquals(1, plan.skipped().size());
            assertEquals("a", plan.skipped().get(0).policy());
            assertTrue(plan.skipped().get(0).reason().startsWith("on hold since revert of run run-1-1"),
                    plan.skipped().get(0).reason());
        }

        MeshPolicy changed = A.withMetadata(A.metadata().withVersion("9", A.metadata().generation() + 1, null));
        Plan after = Planner.plan(List.of(changed, B), result, SNAPSHOT, java.util.Map.of(Hold.key(HPA), hold), false);
        assertEquals(List.of("a", "b"), after.changes().get(0).policies(), "a change of the policy lifts the hold");
        assertTrue(after.skipped().isEmpty());
    }

    @Test
    void holdsRoundTripThroughTheirAnnotations() {
        Hold hold = new Hold(HPA, "run-1-1", java.time.Instant.parse("2026-11-30T10:00:00Z"),
                java.util.Map.of("b", 2L, "a", 1L), true);
        assertEquals("a,b", hold.annotations().get(Hold.ANNOTATION));
        assertEquals("a=1,b=2", hold.annotations().get(Hold.GENERATIONS_ANNOTATION));
        assertEquals(hold, Hold.fromAnnotations(HPA, hold.annotations()));
        assertEquals(null, Hold.fromAnnotations(HPA, java.util.Map.of("x", "y")));
    }
}

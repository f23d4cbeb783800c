package io.meshwarden.policies.workloadha;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyValidationException;
import org.junit.jupiter.api.Test;

class WorkloadHaTypeTest {
    static final MeshPolicy APPS = policy("apps-ha", "WorkloadHa", "{}");
    /** Replicas left alone, so that only the PDB rules speak. */
    static final MeshPolicy PDB_ONLY = policy("apps-ha", "WorkloadHa", "{minimumReplicas: 1}");

    static String app(String name, Integer replicas) {
        return deployment("shop", name, replicas, "{app: " + name + "}", "{}");
    }

    static String hpa(String target, int min, int max) {
        return """
                ---
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: %s, namespace: shop}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
                  minReplicas: %d
                  maxReplicas: %d
                """.formatted(target, target, min, max);
    }

    static String pdb(String name, String matchLabels, String field, String value) {
        return pdb(name, matchLabels, field, value, "{}");
    }

    static String pdb(String name, String matchLabels, String field, String value, String labels) {
        return """
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: %s, namespace: shop, labels: %s}
                spec:
                  %s: %s
                  selector: {matchLabels: %s}
                """.formatted(name, labels, field, value, matchLabels);
    }

    static RuleOutcome eval(MeshPolicy p, String... docs) {
        return WorkloadHaType.TYPE.evaluate(p, snapshot(docs));
    }

    // ------------------------------------------------------------------ workload-min-replicas

    @Test
    void singleReplicaDeploymentFailsWithAdviceNotAPatch() {
        Finding f = only(eval(APPS, app("cart", 1)), "workload-min-replicas");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "shop", "cart"), f.resource());
        assertEquals("spec.replicas", f.path());
        assertEquals(">= 2", f.expected());
        assertEquals("1", f.actual());
        assertEquals(Remedy.NONE, f.remedy().action(), "application replicas are never written");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "shop", "cart"), f.remedy().target());
        assertTrue(f.remedy().note().contains("{\"spec\":{\"replicas\":2}}"), f.remedy().note());
        assertTrue(f.remedy().note().contains("PodDisruptionBudget is no fix"), f.remedy().note());

        Finding absent = only(eval(APPS, app("cart", null)), "workload-min-replicas");
        assertEquals("1", absent.actual(), "spec.replicas defaults to 1");
    }

    @Test
    void enoughReplicasPassAndTheMinimumIsAParameter() {
        RuleOutcome o = eval(APPS, app("cart", 2));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
        assertTrue(o.checks() > 0);
        MeshPolicy three = policy("apps-ha", "WorkloadHa", "{minimumReplicas: 3}");
        assertEquals(">= 3", only(eval(three, app("cart", 2)), "workload-min-replicas").expected());
    }

    @Test
    void anHpaFloorOfTwoMakesASingleReplicaDeploymentFine() {
        RuleOutcome o = eval(APPS, app("cart", 1), hpa("cart", 2, 5));
        assertTrue(o.findings().isEmpty(), "the HPA owns the replicas: " + o.findings());
    }

    @Test
    void anHpaFloorOfOneFailsOnTheHpa() {
        Finding f = only(eval(APPS, app("cart", 4), hpa("cart", 1, 5)), "workload-min-replicas");
        assertEquals(new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", "shop", "cart"), f.resource());
        assertEquals("spec.minReplicas", f.path());
        assertEquals("1", f.actual(), "judged at the HPA's floor, not at spec.replicas 4");
        assertTrue(f.remedy().note().contains("{\"spec\":{\"minReplicas\":2}}"), f.remedy().note());

        Finding capped = only(eval(APPS, app("cart", 1), hpa("cart", 1, 1)), "workload-min-replicas");
        assertTrue(capped.remedy().note().contains("{\"spec\":{\"minReplicas\":2,\"maxReplicas\":2}}"),
                "an HPA needs maxReplicas >= minReplicas: " + capped.remedy().note());
    }

    @Test
    void statefulSetsCountDaemonSetsAndJobsDoNot() {
        String sts = """
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: shop}
                spec:
                  replicas: 1
                  serviceName: db
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec: {containers: [{name: db, image: db}]}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: shop}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec: {containers: [{name: agent, image: agent}]}
                """;
        Finding f = only(eval(APPS, sts), "workload-min-replicas");
        assertEquals(new ResourceRef("apps/v1", "StatefulSet", "shop", "db"), f.resource());
    }

    @Test
    void scaledToZeroIsLeftAlone() {
        assertTrue(findings(eval(APPS, app("cart", 0)), "workload-min-replicas").isEmpty());
    }

    @Test
    void exemptionsTargetsAndAnnotationsAreHonoured() {
        MeshPolicy listed = policy("apps-ha", "WorkloadHa", "{}",
                "exemptions: [{namespace: shop, kind: Deployment, name: cart}]");
        assertTrue(eval(listed, app("cart", 1)).findings().isEmpty());
        RuleOutcome other = eval(listed, app("cart", 1), app("legacy", 1));
        assertEquals("legacy", only(other, "workload-min-replicas").resource().name());

        MeshPolicy allStatefulSets = policy("apps-ha", "WorkloadHa", "{}", "exemptions: [{kind: Deployment}]");
        assertTrue(eval(allStatefulSets, app("cart", 1)).findings().isEmpty(), "an omitted field matches anything");

        String annotated = deployment("shop", "cart", 1, "{app: cart}", "{}").replace("labels: {app: cart}}",
                "labels: {app: cart}, annotations: {meshwarden.io/exempt: apps-ha}}");
        assertTrue(eval(APPS, annotated).findings().isEmpty(), annotated);
        assertTrue(eval(APPS, namespace("shop", "{}", "{meshwarden.io/exempt: \"*\"}"), app("cart", 1)).findings()
                .isEmpty());

        MeshPolicy elsewhere = policy("apps-ha", "WorkloadHa", "{}", "target: {namespaces: {exclude: [shop]}}");
        RuleOutcome none = eval(elsewhere, app("cart", 1));
        assertTrue(none.findings().isEmpty());
        assertEquals(0, none.checks());
    }

    @Test
    void parametersAreValidated() {
        assertEquals(new WorkloadHaParameters(2), APPS.spec().parameters(), "minimumReplicas defaults to 2");
        PolicyValidationException e = assertThrows(PolicyValidationException.class,
                () -> policy("apps-ha", "WorkloadHa", "{minimumReplicas: 0}"));
        assertTrue(e.getMessage().contains("minimumReplicas"), e.getMessage());
        assertThrows(PolicyValidationException.class, () -> policy("apps-ha", "WorkloadHa", "{replicas: 2}"));
        assertTrue(PolicyTypes.byName("WorkloadHa").isPresent());
    }

    // ------------------------------------------------------------------ workload-pdb-blocks-eviction

    @Test
    void minAvailableOneAtAnHpaFloorOfOneBlocksThoughSpecReplicasIsFour() {
        RuleOutcome o = eval(PDB_ONLY, app("cart", 4), hpa("cart", 1, 5),
                pdb("cart", "{app: cart}", "minAvailable", "1"));
        Finding f = only(o, "workload-pdb-blocks-eviction");
        assertEquals(new ResourceRef("policy/v1", "PodDisruptionBudget", "shop", "cart"), f.resource());
        assertEquals("spec.minAvailable", f.path());
        assertEquals("minAvailable 1 with 1 replica(s)", f.actual());
        assertEquals(Remedy.NONE, f.remedy().action());
        assertEquals("HorizontalPodAutoscaler", f.remedy().target().kind(), "more replicas, not a looser PDB");
        assertTrue(f.remedy().note().contains("{\"spec\":{\"minReplicas\":2}}"), f.remedy().note());

        RuleOutcome fine = eval(PDB_ONLY, app("cart", 1), hpa("cart", 2, 5),
                pdb("cart", "{app: cart}", "minAvailable", "1"));
        assertTrue(fine.findings().isEmpty(), fine.findings()::toString);
    }

    @Test
    void minAvailablePercentagesRoundUp() {
        assertTrue(eval(PDB_ONLY, app("cart", 2), pdb("cart", "{app: cart}", "minAvailable", "\"50%\"")).findings()
                .isEmpty(), "ceil(50% of 2) = 1 leaves one eviction");
        Finding one = only(eval(PDB_ONLY, app("cart", 1), pdb("cart", "{app: cart}", "minAvailable", "\"50%\"")),
                "workload-pdb-blocks-eviction");
        assertTrue(one.remedy().note().contains("{\"spec\":{\"replicas\":2}}"), one.remedy().note());

        Finding two = only(eval(PDB_ONLY, app("cart", 2), pdb("cart", "{app: cart}", "minAvailable", "\"51%\"")),
                "workload-pdb-blocks-eviction");
        assertTrue(two.remedy().note().contains("{\"spec\":{\"replicas\":3}}"),
                "51% of 2 rounds up to 2; 3 replicas leave one: " + two.remedy().note());
        assertTrue(eval(PDB_ONLY, app("cart", 3), pdb("cart", "{app: cart}", "minAvailable", "\"51%\"")).findings()
                .isEmpty());
    }

    @Test
    void minAvailableHundredPercentAdvisesMaxUnavailableOne() {
        Finding f = only(eval(PDB_ONLY, app("cart", 3), pdb("cart", "{app: cart}", "minAvailable", "\"100%\"")),
                "workload-pdb-blocks-eviction");
        assertEquals("PodDisruptionBudget", f.remedy().target().kind(), "no replica count helps");
        assertTrue(f.remedy().note().contains("{\"spec\":{\"maxUnavailable\":1,\"minAvailable\":null}}"),
                f.remedy().note());
    }

    @Test
    void maxUnavailableZeroAlwaysBlocksAndTheAdviceIsNeverZero() {
        for (String zero : new String[] {"0", "\"0%\""}) {
            Finding f = only(eval(PDB_ONLY, app("cart", 5), pdb("cart", "{app: cart}", "maxUnavailable", zero)),
                    "workload-pdb-blocks-eviction");
            assertEquals("spec.maxUnavailable", f.path());
            assertTrue(f.remedy().note().contains("{\"spec\":{\"maxUnavailable\":1}}"), f.remedy().note());
            assertFalse(f.remedy().note().contains("\"maxUnavailable\":0"), f.remedy().note());
        }
        assertTrue(eval(PDB_ONLY, app("cart", 1), pdb("cart", "{app: cart}", "maxUnavailable", "\"1%\"")).findings()
                .isEmpty(), "1% of one pod rounds up to one eviction");
    }

    @Test
    void aPdbOverSeveralWorkloadsCountsAllTheirPods() {
        String shared = pdb("web", "{tier: web}", "minAvailable", "1");
        String a = deployment("shop", "a", 1, "{app: a, tier: web}", "{}");
        String b = deployment("shop", "b", 1, "{app: b, tier: web}", "{}");
        assertTrue(eval(PDB_ONLY, a, b, shared).findings().isEmpty(), "two pods, minAvailable 1: one may go");

        RuleOutcome o = eval(APPS, a, b, pdb("web", "{tier: web}", "minAvailable", "2"));
        assertEquals(2, findings(o, "workload-pdb-blocks-eviction").size());
        Finding f = findings(o, "workload-pdb-blocks-eviction").get(0);
        assertTrue(f.message().contains("at 2 replica(s) (1 of them"), f.message());
        assertTrue(f.remedy().note().contains("{\"spec\":{\"replicas\":2}}"), "2 + 1 = 3 pods: " + f.remedy().note());
    }

    @Test
    void anExemptPdbIsNotJudged() {
        MeshPolicy p = policy("apps-ha", "WorkloadHa", "{minimumReplicas: 1}",
                "exemptions: [{kind: PodDisruptionBudget, name: cart}]");
        assertTrue(eval(p, app("cart", 1), pdb("cart", "{app: cart}", "minAvailable", "1")).findings().isEmpty());
    }

    // ------------------------------------------------------------------ workload-pdb-overlapping

    @Test
    void twoPdbsOnOneWorkloadAreNamedWithNoAutomaticFix() {
        RuleOutcome o = eval(PDB_ONLY, app("cart", 3), pdb("cart", "{app: cart}", "maxUnavailable", "1"),
                pdb("cart-extra", "{app: cart}", "maxUnavailable", "1"));
        Finding f = only(o, "workload-pdb-overlapping");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "shop", "cart"), f.resource());
        assertEquals("2 (cart, cart-extra)", f.actual());
        assertEquals(Remedy.NONE, f.remedy().action());
        assertTrue(findings(o, "workload-pdb-blocks-eviction").isEmpty());

        RuleOutcome one = eval(PDB_ONLY, app("cart", 3), pdb("cart", "{app: cart}", "maxUnavailable", "1"));
        assertTrue(one.findings().isEmpty(), one.findings()::toString);
    }

    @Test
    void meshwardensOwnPdbIsTheOneToRetire() {
        RuleOutcome o = eval(PDB_ONLY, app("cart", 3), pdb("cart", "{app: cart}", "maxUnavailable", "1"),
                pdb("cart-meshwarden", "{app: cart}", "maxUnavailable", "1",
                        "{app.kubernetes.io/managed-by: meshwarden}"));
        Finding f = only(o, "workload-pdb-overlapping");
        assertEquals(Remedy.DELETE, f.remedy().action());
        assertEquals(new ResourceRef("policy/v1", "PodDisruptionBudget", "shop", "cart-meshwarden"),
                f.remedy().target());
    }
}

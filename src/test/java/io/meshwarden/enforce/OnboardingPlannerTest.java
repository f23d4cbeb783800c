package io.meshwarden.enforce;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Note;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.MeshPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnboardingPlannerTest {
    static final Instant AT = Instant.parse("2026-11-30T16:45:12.345Z");
    static final String RESTARTED = "2026-11-30T16:45:12Z";
    static final String APP = "{name: app, image: app}";
    static final String PROXY = "{name: istio-proxy, image: docker.io/istio/proxyv2:1.26.3}";

    static MeshPolicy coverage(String parameters) {
        return policy("onboard", "SidecarCoverage", parameters);
    }

    /** Running pods of a Deployment, owned through its ReplicaSet, with or without a proxy of the default revision. */
    static String pods(String ns, String deployment, int n, boolean proxy) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("""
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: %s-abc12-%d
                      namespace: %s
                      labels: {pod-template-hash: abc12}
                      annotations: %s
                      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s-abc12, controller: true, uid: u}]
                    spec: {containers: %s}
                    status: {phase: Running}
                    """.formatted(deployment, i, ns, proxy ? "{sidecar.istio.io/status: "
                    + "'{\"containers\":[\"istio-proxy\"],\"revision\":\"default\"}'}" : "{}", deployment,
                    proxy ? "[" + APP + ", " + PROXY + "]" : "[" + APP + "]"));
        }
        return sb.toString();
    }

    /** A Deployment of {@code n} replicas whose {@code n} running pods predate the namespace's injection label. */
    static String unmeshed(String ns, String name, int n) {
        return deployment(ns, name, n, "{app: " + name + "}", "{}") + pods(ns, name, n, false);
    }

    static String hpa(String ns, String target, int min, int max, int desired) {
        return """
                ---
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: %s, namespace: %s}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
                  minReplicas: %d
                  maxReplicas: %d
                status: {desiredReplicas: %d}
                """.formatted(target, ns, target, min, max, desired);
    }

    static ClusterSnapshot shop() {
        return snapshot(istiod("1.26.3", "{}"),
                namespace("shop", "{istio-injection: enabled}"), namespace("a-shop", "{istio-injection: enabled}"),
                unmeshed("shop", "cart", 3), unmeshed("shop", "web", 1), unmeshed("shop", "api", 1),
                unmeshed("shop", "search", 2), hpa("shop", "search", 2, 10, 2),
                unmeshed("shop", "queue", 1), hpa("shop", "queue", 1, 4, 1),
                unmeshed("a-shop", "zz", 1),
                // Already injected: nothing to restart.
                deployment("shop", "done", 2, "{app: done}", "{}"), pods("shop", "done", 2, true));
    }

    static List<String> names(OnboardingPlan plan) {
        return plan.steps().stream().map(s -> s.change().target().namespace() + "/" + s.change().target().name())
                .toList();
    }

    @Test
    void smallestFirstWorkloadsAnHpaScalesLastTiesByNamespaceKindName() {
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{batchSize: 4}"), List.of(), shop(), AT);
        assertEquals(List.of("a-shop/zz", "shop/api", "shop/web", "shop/cart", "shop/queue", "shop/search"),
                names(plan));
        assertEquals(List.of(1, 1, 1, 1, 2, 2), plan.steps().stream().map(OnboardingPlan.Step::batch).toList());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), plan.steps().stream().map(OnboardingPlan.Step::order).toList());
        assertEquals(List.of(1, 1, 1, 3, 1, 2), plan.steps().stream().map(OnboardingPlan.Step::runningPods).toList());
        assertEquals(2, plan.batches());
        assertEquals(4, plan.batchSize());
        assertEquals(List.of("shop/queue", "shop/search"), plan.batch(2).stream()
                .map(s -> s.change().target().namespace() + "/" + s.change().target().name()).toList());
        OnboardingPlan.Step search = plan.steps().get(5);
        assertTrue(search.scaledByHpa());
        assertEquals(new OnboardingPlan.Hpa("search", 2, 10, 2), search.hpa());
        assertFalse(plan.steps().get(3).scaledByHpa());
        assertNull(plan.steps().get(3).hpa());
        assertEquals(List.of(), plan.losesSidecar());
        assertEquals(List.of(), plan.skipped());
    }

    @Test
    void eachStepIsOneRestartPatchOfThePodTemplate() {
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{presizeProxies: false}"), List.of(), shop(), AT);
        OnboardingPlan.Step first = plan.steps().get(0);
        assertEquals(RESTARTED, plan.restartedAt(), "to the second, as kubectl writes it");
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                + "\"kubectl.kubernetes.io/restartedAt\":\"" + RESTARTED + "\"}}}}}"), first.change().body());
        assertEquals(Change.PATCH, first.change().action());
        assertTrue(first.change().restartsPods());
        assertEquals("Deployment/a-shop/zz#1", first.change().id());
        assertEquals(List.of("onboard"), first.change().policies());
        assertEquals(List.of("coverage-sidecar-missing"), first.change().rules());
        assertTrue(first.change().reason().contains("1 of 1 running pods have no istio-proxy"),
                first.change().reason());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), plan.steps().stream().map(OnboardingPlan.Step::batch).toList(),
                "the default batch size is meshwarden.rollout.max-concurrent's: 1");
        assertTrue(plan.notes().stream().anyMatch(n -> n.code().equals(OnboardingPlanner.NO_PRESIZING)));
        assertEquals(plan, OnboardingPlanner.plan(coverage("{presizeProxies: false}"), List.of(), shop(), AT),
                "the same input gives the same plan");
    }

    @Test
    void theProxySizingPolicyThatCoversAWorkloadGoesIntoTheSameTemplateChange() {
        MeshPolicy sizing = policy("shop-sizing", "ProxySizing", "{requests: {cpu: 50m, memory: 96Mi}}",
                "target: {namespaces: {include: [shop]}}");
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{}"), List.of(coverage("{}"), sizing), shop(), AT);
        OnboardingPlan.Step api = plan.steps().get(1);
        assertEquals("api", api.change().target().name());
        // istiod's default limits (2000m, 1024Mi) are kept: a lone proxyCPU annotation would drop the others.
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                + "\"kubectl.kubernetes.io/restartedAt\":\"" + RESTARTED + "\","
                + "\"sidecar.istio.io/proxyCPU\":\"50m\",\"sidecar.istio.io/proxyMemory\":\"96Mi\","
                + "\"sidecar.istio.io/proxyCPULimit\":\"2000m\",\"sidecar.istio.io/proxyMemoryLimit\":\"1024Mi\""
                + "}}}}}"), api.change().body());
        assertEquals(List.of("shop-sizing"), api.presizedBy());
        assertEquals(List.of("onboard", "shop-sizing"), api.change().policies());
        // a-shop is not in the sizing policy's target: the restart alone.
        OnboardingPlan.Step zz = plan.steps().get(0);
        assertEquals(List.of(), zz.presizedBy());
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                + "\"kubectl.kubernetes.io/restartedAt\":\"" + RESTARTED + "\"}}}}}"), zz.change().body());
        // The patch is the one ProxySizing proposes for the workload in its own findings.
        io.meshwarden.evaluate.Finding own = io.meshwarden.evaluate.Evaluator.evaluate(sizing, shop()).findings()
                .stream().filter(f -> f.resource().name().equals("api")).findFirst().orElseThrow();
        com.fasterxml.jackson.databind.node.ObjectNode expected = (com.fasterxml.jackson.databind.node.ObjectNode)
                own.remedy().patch().deepCopy();
        MergePatch.mergeInto(expected, json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                + "\"kubectl.kubernetes.io/restartedAt\":\"" + RESTARTED + "\"}}}}}"));
        assertEquals(expected, api.change().body());
    }

    @Test
    void aSidecarAlreadySizedNeedsNoPresizingAndTwoSizingPoliciesKeepTheFirst() {
        MeshPolicy asIs = policy("a-sizing", "ProxySizing", "{requests: {cpu: 100m, memory: 128Mi}}");
        OnboardingPlan same = OnboardingPlanner.plan(coverage("{}"), List.of(asIs), shop(), AT);
        assertTrue(same.steps().stream().allMatch(s -> s.presizedBy().isEmpty()),
                "the injector already gives 100m/128Mi: nothing to fold in");
        MeshPolicy other = policy("b-sizing", "ProxySizing", "{requests: {cpu: 300m, memory: 256Mi}}");
        MeshPolicy first = policy("a-sizing", "ProxySizing", "{requests: {cpu: 50m, memory: 96Mi}}");
        OnboardingPlan two = OnboardingPlanner.plan(coverage("{}"), List.of(other, first), shop(), AT);
        OnboardingPlan.Step s = two.steps().get(0);
        assertEquals(List.of("a-sizing"), s.presizedBy());
        assertEquals("50m", s.change().body().at("/spec/template/metadata/annotations/sidecar.istio.io~1proxyCPU")
                .asText());
        assertEquals(1, s.notes().size(), s.notes().toString());
        assertTrue(s.notes().get(0).startsWith("sizing of b-sizing is not in the patch: it sets "
                + "spec.template.metadata.annotations.sidecar.istio.io/proxyCPU"), s.notes().get(0));
    }

    @Test
    void theReverseListsTheWorkloadsThatLoseMtlsAndSizesNothing() {
        ClusterSnapshot s = snapshot(istiod("1.26.3", "{}"), namespace("legacy", "{}"),
                deployment("legacy", "old", 2, "{app: old}", "{}"), pods("legacy", "old", 2, true),
                namespace("shop", "{istio-injection: enabled}"), unmeshed("shop", "web", 3));
        MeshPolicy sizing = policy("all-sizing", "ProxySizing", "{requests: {cpu: 50m, memory: 96Mi}}");
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{batchSize: 2}"), List.of(sizing), s, AT);
        assertEquals(List.of("legacy/old", "shop/web"), names(plan));
        OnboardingPlan.Step old = plan.steps().get(0);
        assertFalse(old.sidecarAfter());
        assertEquals(List.of("coverage-sidecar-lingering"), old.change().rules());
        assertEquals(List.of(), old.presizedBy(), "its new pods run no sidecar to size");
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
                + "\"kubectl.kubernetes.io/restartedAt\":\"" + RESTARTED + "\"}}}}}"), old.change().body());
        assertTrue(plan.steps().get(1).sidecarAfter());
        assertEquals(List.of("all-sizing"), plan.steps().get(1).presizedBy());
        assertEquals(List.of("Deployment legacy/old"), plan.losesSidecar());
        Note note = plan.notes().stream().filter(n -> n.code().equals(OnboardingPlanner.LOSES_SIDECAR)).findFirst()
                .orElseThrow();
        assertTrue(note.message().startsWith("1 workload(s) lose istio-proxy and with it mTLS when restarted"),
                note.message());
        assertTrue(note.message().contains("Deployment legacy/old"), note.message());
    }

    @Test
    void aJobIsListedAsSkippedNotRestarted() {
        String job = """
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: shop}
                spec:
                  template:
                    metadata: {labels: {app: migrate}}
                    spec: {restartPolicy: Never, containers: [{name: app, image: app}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: migrate-x1
                  namespace: shop
                  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, controller: true, uid: j}]
                spec: {containers: [{name: app, image: app}]}
                status: {phase: Running}
                """;
        ClusterSnapshot s = snapshot(istiod("1.26.3", "{}"), namespace("shop", "{istio-injection: enabled}"), job,
                unmeshed("shop", "web", 1));
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{}"), List.of(), s, AT);
        assertEquals(List.of("shop/web"), names(plan));
        assertEquals(1, plan.skipped().size(), plan.skipped().toString());
        Skipped job0 = plan.skipped().get(0);
        assertEquals("migrate", job0.target().name());
        assertEquals("none", job0.action());
        assertTrue(job0.reason().contains("immutable"), job0.reason());
    }

    @Test
    void onlyAPolicyThatStagesRestartsHasAnOnboardingPlan() {
        MeshPolicy sizing = policy("sizing", "ProxySizing", "{requests: {cpu: 50m, memory: 96Mi}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnboardingPlanner.plan(sizing, List.of(), shop(), AT));
        assertTrue(e.getMessage().contains("ProxySizing"), e.getMessage());
    }

    @Test
    void nothingToRestartIsAnEmptyPlan() {
        ClusterSnapshot s = snapshot(istiod("1.26.3", "{}"), namespace("shop", "{istio-injection: enabled}"),
                deployment("shop", "done", 1, "{app: done}", "{}"), pods("shop", "done", 1, true));
        OnboardingPlan plan = OnboardingPlanner.plan(coverage("{}"), new ArrayList<>(), s, AT);
        assertEquals(List.of(), plan.steps());
        assertEquals(0, plan.batches());
    }
}

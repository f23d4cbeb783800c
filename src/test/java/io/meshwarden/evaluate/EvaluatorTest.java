package io.meshwarden.evaluate;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluatorTest {
    static final MeshPolicy HA = policy("a-ha", "HaMinimum", "{components: [istiod, ingressgateway]}");
    static final MeshPolicy JOBS = policy("b-jobs", "InjectionExclusion", "{}");
    static final MeshPolicy HEADERS = policy("c-headers", "HeaderRemoval", "{}");
    static final MeshPolicy SIZING = policy("d-sizing", "ProxySizing", "{requests: {cpu: 50m, memory: 64Mi}}");
    static final MeshPolicy TRACING = policy("e-tracing", "TraceSampling", "{maxPercent: 10}");
    static final List<MeshPolicy> ALL = List.of(HA, JOBS, HEADERS, SIZING, TRACING);

    static final String CLUSTER = namespace("apps", "{istio-injection: enabled}")
            + deployment("apps", "web", 3, "{app: web}", "{}")
            + deployment("apps", "api", 1, "{app: api}", "{proxy.istio.io/config: \"tracing: {sampling: 50}\"}")
            + deployment("istio-system", "istiod", 1, "{app: istiod}", "{}")
            + deployment("istio-ingress", "gw", 2, "{istio: ingressgateway, sidecar.istio.io/inject: \"true\"}", "{}");

    @Test
    void emptySnapshotWithoutIstioCrdsDoesNotCrash() {
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(ALL, ClusterSnapshot.empty());
        assertTrue(r.findings().isEmpty());
        assertEquals(0, r.summary().evaluated());
        assertEquals(100.0, r.summary().score());
        assertEquals(0, r.cost().currentCpuMillis());
        assertEquals(1, r.cost().perPolicy().size());
    }

    @Test
    void workloadsButNoIstioResourcesOrHelmReleases() {
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(ALL, snapshot(CLUSTER));
        assertTrue(r.summary().evaluated() > 0);
        assertTrue(r.findings().stream().anyMatch(f -> f.rule().equals("headers-not-removed")));
    }

    @Test
    void findingsAreSortedAndIndependentOfPolicyOrder() {
        ClusterSnapshot s = snapshot(CLUSTER);
        EvaluationResult forward = PolicyTypes.EVALUATOR.evaluate(ALL, s);
        List<MeshPolicy> reversed = new ArrayList<>(ALL);
        java.util.Collections.reverse(reversed);
        EvaluationResult backward = PolicyTypes.EVALUATOR.evaluate(reversed, s);
        assertEquals(forward.findings(), backward.findings());
        List<Finding> sorted = new ArrayList<>(forward.findings());
        sorted.sort(Finding.ORDER);
        assertEquals(sorted, forward.findings());
        assertEquals("a-ha", forward.findings().get(0).policy());
    }

    @Test
    void findingsShareEqualPartsWithoutChangingWhatTheySay() {
        ClusterSnapshot s = snapshot(CLUSTER);
        List<Finding> separate = new ArrayList<>();
        for (MeshPolicy p : ALL) {
            separate.addAll(Evaluator.evaluate(p, s).findings());
        }
        separate.sort(Finding.ORDER);
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(ALL, s);
        assertEquals(separate, r.findings(), "sharing changes no value");
        Map<com.fasterxml.jackson.databind.JsonNode, com.fasterxml.jackson.databind.JsonNode> firstOfEach =
                new java.util.HashMap<>();
        for (Finding f : r.findings()) {
            if (f.remedy() == null || f.remedy().patch() == null) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode first = firstOfEach.putIfAbsent(f.remedy().patch(),
                    f.remedy().patch());
            if (first != null) {
                assertTrue(first == f.remedy().patch(), "equal remedy documents are one instance: " + first);
            }
        }
        assertTrue(firstOfEach.size() < r.findings().size(), "the fixture has findings with equal remedies");
    }

    @Test
    void summaryCountsAndScore() {
        ClusterSnapshot s = snapshot(CLUSTER);
        // istiod: 1 replica without HPA (fail) + PDB missing (fail); gateway: 2 replicas (pass) + PDB missing (fail).
        // tracing: web 1% (pass), api 50% (fail), gateway 1% (pass).
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(List.of(TRACING, HA), s);
        assertEquals(Map.of("ha-deployment-replicas", 1, "ha-pdb-missing", 2, "trace-sampling-too-high",
                1), r.summary().byRule());
        assertEquals(Map.of("HaMinimum", 3, "TraceSampling", 1), r.summary().byType());
        assertEquals(4, r.summary().findings());
        assertEquals(7, r.summary().evaluated());
        assertEquals(3, r.summary().passed());
        assertEquals(42.8, r.summary().score(), "floor(1000 * 3 / 7) / 10");
    }

    @Test
    void costSummaryComparesEachSizingPolicy() {
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(ALL, snapshot(CLUSTER));
        // web x3, api x1, gateway x2 at Istio's default 100m / 128Mi; istiod is not injected.
        assertEquals(3, r.cost().workloads());
        assertEquals(600, r.cost().currentCpuMillis());
        assertEquals(300, r.cost().perPolicy().get(0).cpuMillis());
        assertEquals(6L * 64 * 1024 * 1024, r.cost().perPolicy().get(0).memoryBytes());
    }

    @Test
    void loadsAFixtureDirectory(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("cluster.yaml"), CLUSTER, StandardCharsets.UTF_8);
        ClusterSnapshot s = new ManifestDirectoryLoader().load(dir);
        assertEquals(PolicyTypes.EVALUATOR.evaluate(ALL, snapshot(CLUSTER)), PolicyTypes.EVALUATOR.evaluate(ALL, s));
    }

    @Test
    void scoreRoundsDown() {
        assertEquals(100.0, Summary.score(0, 0));
        assertEquals(99.9, Summary.score(10000, 9999));
        assertEquals(100.0, Summary.score(5, 5));
    }

    @Test
    void oddlyShapedIstioResourcesDoNotCrash() {
        String odd = """
                ---
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: odd, namespace: istio-system}
                spec: {tracing: {randomSamplingPercentage: 100}}
                ---
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: odd, namespace: istio-system}
                spec: {configPatches: {applyTo: ROUTE_CONFIGURATION}}
                ---
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: odd2, namespace: istio-system}
                spec:
                  configPatches:
                  - applyTo: ROUTE_CONFIGURATION
                    patch: {operation: MERGE, value: {response_headers_to_remove: x-envoy-upstream-service-time}}
                ---
                apiVersion: sailoperator.io/v1
                kind: Istio
                metadata: {name: default}
                ---
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                metadata: {name: iop, namespace: istio-system}
                spec: {components: {ingressGateways: {name: x}}}
                """;
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(ALL, snapshot(CLUSTER, odd));
        assertTrue(r.summary().evaluated() > 0);
    }
}

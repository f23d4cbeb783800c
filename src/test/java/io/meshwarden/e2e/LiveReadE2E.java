package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LiveSnapshotReader against a real API server with (minimal) Istio CRDs installed: real discovery, real paging
 * with continue tokens, server-side label and field selectors, and CRD version fallback.
 */
class LiveReadE2E {
    static KubernetesClient client;
    static String suffix;
    static String ns;
    static String istioNs;
    static LiveSnapshotReader.Result result;

    @BeforeAll
    static void setUp() {
        client = ControlPlane.client();
        ControlPlane.installIstioCrds(client);
        suffix = ControlPlane.suffix();
        ns = ControlPlane.namespace(client, "e2e-read-" + suffix, Map.of("istio-injection", "enabled"));
        istioNs = ControlPlane.namespace(client, "e2e-read-istio-" + suffix, Map.of());
        ControlPlane.apply(client, ControlPlane.resource("live-read.yaml").replace("${NS}", ns)
                .replace("${ISTIO_NS}", istioNs).replace("${SUFFIX}", suffix));
        // Two items a page: every kind with more objects than that is read through continue tokens.
        result = new LiveSnapshotReader(client, 2, istioNs).readWithDiagnostics();
    }

    @AfterAll
    static void tearDown() {
        if (client != null) {
            client.genericKubernetesResources("sailoperator.io/v1", "Istio").withName("e2e-" + suffix).delete();
            ControlPlane.deleteNamespaces(client, ns, istioNs);
            client.close();
        }
    }

    @Test
    void everyIstioKindIsServedSoNoneIsSkipped() {
        // The add-on operators' kinds (Kiali, prometheus-operator) are optional: which of them are served depends on
        // the CRDs other E2E classes installed on this shared control plane before; none of Istio's may be missing.
        List<String> optional = List.of("kialis.kiali.io", "servicemonitors.monitoring.coreos.com",
                "podmonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com");
        assertEquals(List.of(), result.skippedApis().stream().filter(api -> !optional.contains(api)).toList());
        assertEquals(List.of(), result.warnings());
        assertTrue(result.discoveryRequests() > 0);
    }

    @Test
    void readsInPagesThroughContinueTokens() {
        // 17 kinds (Pods among them); the system namespaces alone (5 with ours) take more than one page of 2.
        assertTrue(result.listRequests() > 17, () -> "list requests: " + result.listRequests());
    }

    @Test
    void readsTheWorkloadsOfTheNamespace() {
        ClusterSnapshot s = result.snapshot();
        assertEquals("enabled", s.namespace(ns).orElseThrow().labels().get("istio-injection"));
        Map<WorkloadKind, List<String>> byKind = s.workloadsIn(ns).stream().collect(Collectors.groupingBy(
                Workload::kind, Collectors.mapping(Workload::name, Collectors.toList())));
        assertEquals(List.of("web"), byKind.get(WorkloadKind.DEPLOYMENT));
        assertEquals(List.of("db"), byKind.get(WorkloadKind.STATEFUL_SET));
        assertEquals(List.of("agent"), byKind.get(WorkloadKind.DAEMON_SET));
        assertEquals(List.of("report"), byKind.get(WorkloadKind.CRON_JOB));

        Workload web = s.workload(WorkloadKind.DEPLOYMENT, ns, "web").orElseThrow();
        assertEquals(2, web.replicas());
        assertEquals("50m", web.podAnnotations().get("sidecar.istio.io/proxyCPU"));
        assertEquals("false", s.workload(WorkloadKind.DAEMON_SET, ns, "agent").orElseThrow().podLabels()
                .get("sidecar.istio.io/inject"));

        List<Hpa> hpas = s.hpasIn(ns);
        assertEquals(1, hpas.size());
        assertEquals("web", hpas.get(0).targetName());
        assertEquals(2, hpas.get(0).minReplicas());
        assertEquals(5, hpas.get(0).maxReplicas());
        assertTrue(s.hpaFor(web).isPresent());

        List<Pdb> pdbs = s.pdbsIn(ns);
        assertEquals(1, pdbs.size());
        assertEquals("1", pdbs.get(0).minAvailable());
        assertEquals(List.of(pdbs.get(0)), s.pdbsFor(web));
    }

    @Test
    void readsTheIstioResourcesWithTheirSpecsPreserved() {
        ClusterSnapshot s = result.snapshot();
        IstioResource filter = only(s.istioResources(IstioKind.ENVOY_FILTER, ns));
        assertEquals("networking.istio.io/v1alpha3", filter.apiVersion());
        assertEquals("x-envoy-upstream-service-time",
                filter.spec().at("/configPatches/0/patch/value/response_headers_to_remove/0").asText());

        IstioResource gateway = only(s.istioResources(IstioKind.GATEWAY, ns));
        assertEquals("networking.istio.io/v1", gateway.apiVersion());
        assertEquals("ingressgateway", gateway.spec().at("/selector/istio").asText());

        IstioResource vs = only(s.istioResources(IstioKind.VIRTUAL_SERVICE, ns));
        assertEquals("networking.istio.io/v1", vs.apiVersion(), "the newest served version is read");

        IstioResource telemetry = only(s.istioResources(IstioKind.TELEMETRY, ns));
        assertEquals("telemetry.istio.io/v1", telemetry.apiVersion());
        assertEquals(25.0, telemetry.spec().at("/tracing/0/randomSamplingPercentage").asDouble());

        IstioResource operator = only(s.istioResources(IstioKind.ISTIO_OPERATOR, istioNs));
        assertEquals("300m", operator.spec().at("/values/global/proxy/resources/requests/cpu").asText());

        Optional<IstioResource> sail = s.istioResources(IstioKind.SAIL_ISTIO).stream()
                .filter(r -> r.name().equals("e2e-" + suffix)).findFirst();
        assertTrue(sail.isPresent(), () -> s.istioResources(IstioKind.SAIL_ISTIO).toString());
        assertEquals(null, sail.get().namespace(), "cluster-scoped");
    }

    @Test
    void readsOnlyMeshConfigMapsFromTheIstioNamespace() {
        List<MeshConfig> configs = result.snapshot().meshConfigs();
        assertEquals(1, configs.size(), configs::toString);
        assertEquals(istioNs, configs.get(0).namespace());
        assertEquals("istio", configs.get(0).configMapName());
        assertEquals(10, configs.get(0).mesh().at("/defaultConfig/tracing/sampling").asInt());
    }

    @Test
    void theSnapshotFeedsTheEvaluator() {
        MeshPolicy sizing = E2EObjects.policy("e2e-read-sizing", "ProxySizing", "audit", List.of(ns),
                E2EObjects.proxySizingParameters());
        EvaluationResult evaluation = PolicyTypes.EVALUATOR.evaluate(List.of(sizing), result.snapshot());
        List<String> flagged = evaluation.findings().stream().map(Finding::resource)
                .map(r -> r.kind() + "/" + r.name()).sorted().collect(Collectors.toList());
        // The DaemonSet opts out of injection; the CronJob is left out of sizing as short-lived.
        assertEquals(List.of("Deployment/web", "StatefulSet/db"), flagged, () -> evaluation.findings().toString());
        Finding web = evaluation.findings().stream().filter(f -> f.resource().name().equals("web")).findFirst()
                .orElseThrow();
        assertTrue(web.message().contains("requests.cpu is 50m, expected 100m"), web::message);
    }

    private static IstioResource only(List<IstioResource> list) {
        assertEquals(1, list.size(), list::toString);
        return list.get(0);
    }
}

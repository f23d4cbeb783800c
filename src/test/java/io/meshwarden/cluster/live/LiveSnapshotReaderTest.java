package io.meshwarden.cluster.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.cluster.LiveReadException;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ProxyPlacement;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.testing.PagingCrudDispatcher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LiveSnapshotReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ALL_ISTIO_APIS = List.of("envoyfilters.networking.istio.io",
            "gateways.networking.istio.io", "virtualservices.networking.istio.io", "telemetries.telemetry.istio.io",
            "istios.sailoperator.io", "istiooperators.install.istio.io");
    private static final List<String> OPERATOR_APIS = List.of("servicemonitors.monitoring.coreos.com",
            "podmonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com", "kialis.kiali.io");
    private static final List<String> ALL_OPTIONAL_APIS = java.util.stream.Stream.concat(ALL_ISTIO_APIS.stream(),
            OPERATOR_APIS.stream()).toList();

    private PagingCrudDispatcher dispatcher;
    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        dispatcher = new PagingCrudDispatcher();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    @Test
    void readsEveryKindIntoTheSnapshot() throws IOException {
        installIstioCrds();
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {istio-injection: enabled}, annotations: {team: payments}}
                """);
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                """);
        apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: cart
                  namespace: shop
                  labels: {app: cart}
                  annotations: {owner: team-a, kubectl.kubernetes.io/last-applied-configuration: "{}"}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: cart}}
                  template:
                    metadata:
                      labels: {app: cart}
                      annotations: {sidecar.istio.io/proxyCPU: 200m}
                    spec:
                      containers:
                      - name: cart
                        image: cart:1
                      - name: istio-proxy
                        image: proxyv2
                        resources:
                          requests: {cpu: 100m, memory: 128Mi}
                          limits: {memory: 1Gi}
                """);
        apply("""
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: shop}
                spec:
                  replicas: 2
                  serviceName: db
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec:
                      initContainers:
                      - {name: istio-proxy, image: proxyv2, restartPolicy: Always}
                      containers:
                      - {name: db, image: db:1}
                """);
        apply("""
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: shop}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec: {containers: [{name: agent, image: agent:1}]}
                """);
        apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: shop}
                spec:
                  template:
                    metadata: {labels: {sidecar.istio.io/inject: "false"}}
                    spec: {restartPolicy: Never, containers: [{name: m, image: m:1}]}
                """);
        apply("""
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: report, namespace: shop}
                spec:
                  schedule: "0 * * * *"
                  jobTemplate:
                    spec:
                      template:
                        metadata: {labels: {job: report}}
                        spec: {restartPolicy: OnFailure, containers: [{name: r, image: r:1}]}
                """);
        apply("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: cart, namespace: shop}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cart}
                  minReplicas: 2
                  maxReplicas: 6
                """);
        apply("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: cart, namespace: shop}
                spec:
                  minAvailable: 1
                  selector: {matchLabels: {app: cart}}
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: istio-system}
                data:
                  mesh: |
                    defaultConfig:
                      tracing:
                        sampling: 10
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio-canary, namespace: istio-system}
                data:
                  mesh: "defaultConfig: {}"
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio-ca-root-cert, namespace: istio-system}
                data: {root-cert.pem: "x"}
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: unrelated, namespace: istio-system}
                data: {mesh: "this is: [not read"}
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: shop}
                data: {mesh: "outside the istio namespace"}
                """);
        createHelmSecret("istio-system", "istiod", 1, "superseded", "{\"pilot\": {\"autoscaleMin\": 1}}", true);
        createHelmSecret("istio-system", "istiod", 2, "deployed", "{\"pilot\": {\"autoscaleMin\": 2}}", true);
        apply("""
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: strip-headers, namespace: istio-system}
                spec:
                  workloadSelector: {labels: {istio: ingressgateway}}
                  configPatches:
                  - applyTo: ROUTE_CONFIGURATION
                    match: {context: GATEWAY}
                    patch:
                      operation: MERGE
                      value: {response_headers_to_remove: [x-envoy-upstream-service-time]}
                """);
        apply("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: public, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
                """);
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: cart, namespace: shop}
                spec:
                  hosts: [cart]
                  http:
                  - route: [{destination: {host: cart}}]
                    headers: {response: {remove: [x-envoy-decorator-operation]}}
                """);
        apply("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: mesh-default, namespace: istio-system}
                spec:
                  tracing: [{randomSamplingPercentage: 5.0}]
                """);
        apply("""
                apiVersion: sailoperator.io/v1
                kind: Istio
                metadata: {name: default}
                spec:
                  version: v1.27.3
                  values: {pilot: {autoscaleMin: 2}}
                """);
        apply("""
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                metadata: {name: installed-state, namespace: istio-system}
                spec:
                  components:
                    ingressGateways: [{name: istio-ingressgateway, enabled: true, k8s: {hpaSpec: {minReplicas: 2}}}]
                """);
        apply("""
                apiVersion: v1
                kind: Service
                metadata: {name: grafana, namespace: istio-system, labels: {app.kubernetes.io/name: grafana}}
                spec:
                  type: NodePort
                  selector: {app.kubernetes.io/name: grafana}
                  ports: [{name: service, port: 3000}]
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: kiali, namespace: istio-system, labels: {app: kiali, app.kubernetes.io/name: kiali}}
                data:
                  config.yaml: "auth: {strategy: anonymous}"
                  other: dropped
                """);
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio-grafana-dashboards, namespace: istio-system}
                data: {dashboard.json: "{}"}
                """);
        apply("""
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: istiod, namespace: istio-system, labels: {release: prom}}
                spec:
                  selector: {matchLabels: {istio: pilot}}
                  endpoints: [{port: http-monitoring, relabelings: [{action: keep}]}]
                """);
        apply("""
                apiVersion: monitoring.coreos.com/v1
                kind: PrometheusRule
                metadata: {name: istio, namespace: istio-system}
                spec:
                  groups:
                  - name: istio
                    rules:
                    - {alert: Rejects, expr: "sum(rate(pilot_total_xds_rejects[5m])) > 0", annotations: {summary: x}}
                """);
        apply("""
                apiVersion: kiali.io/v1alpha1
                kind: Kiali
                metadata: {name: kiali, namespace: istio-system}
                spec: {auth: {strategy: anonymous}, deployment: {replicas: 1}}
                """);
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();
        ClusterSnapshot s = result.snapshot();

        assertEquals(List.of(), result.skippedApis());
        assertEquals(List.of(), result.warnings());
        assertEquals(25, result.listRequests(), "twelve core kinds (Pods among them), Services, add-on and Helm release ConfigMaps, "
                + "six Istio and four operator kinds, one page each");
        assertEquals(7, result.discoveryRequests(), "one per optional group-version, kinds of one group-version share");
        assertEquals(32, result.requests());

        io.meshwarden.model.ServiceInfo grafana = only(s.servicesIn("istio-system"));
        assertEquals("NodePort", grafana.type());
        assertEquals(Map.of("app.kubernetes.io/name", "grafana"), grafana.selector());
        assertEquals(List.of("service"), grafana.portNames());
        io.meshwarden.model.AddonConfig kiali = only(s.addonConfigsIn("istio-system"));
        assertEquals("kiali", kiali.name());
        assertEquals(Map.of("config.yaml", "auth: {strategy: anonymous}"), kiali.data(), "only the config key");
        io.meshwarden.model.OperatorResource monitor = only(s.operatorResources(
                io.meshwarden.model.OperatorKind.SERVICE_MONITOR));
        assertEquals("pilot", monitor.spec().at("/selector/matchLabels/istio").asText());
        assertEquals("prom", monitor.labels().get("release"));
        io.meshwarden.model.OperatorResource rule = only(s.operatorResources(
                io.meshwarden.model.OperatorKind.PROMETHEUS_RULE));
        assertEquals("sum(rate(pilot_total_xds_rejects[5m])) > 0", rule.spec().at("/groups/0/rules/0/expr").asText());
        assertFalse(rule.spec().at("/groups/0/rules/0").has("annotations"), "trimmed to alert, record, expr");
        io.meshwarden.model.OperatorResource kialiCr = only(s.operatorResources(io.meshwarden.model.OperatorKind.KIALI));
        assertEquals("anonymous", kialiCr.spec().at("/auth/strategy").asText());
        assertFalse(kialiCr.spec().has("deployment"));

        NamespaceInfo shop = s.namespace("shop").orElseThrow();
        assertEquals("enabled", shop.labels().get("istio-injection"));
        assertEquals("payments", shop.annotations().get("team"));
        assertTrue(s.namespace("istio-system").isPresent());

        Workload cart = s.workload(WorkloadKind.DEPLOYMENT, "shop", "cart").orElseThrow();
        assertEquals(3, cart.replicas());
        assertEquals(Map.of("app", "cart"), cart.labels());
        assertEquals(Map.of("owner", "team-a"), cart.annotations(), "last-applied-configuration is dropped");
        assertEquals(Map.of("app", "cart"), cart.podLabels());
        assertEquals("200m", cart.podAnnotations().get("sidecar.istio.io/proxyCPU"));
        assertEquals(ProxyPlacement.CONTAINER, cart.proxy());
        assertEquals("128Mi", cart.proxyResources().requests().get("memory"));
        assertEquals("1Gi", cart.proxyResources().limits().get("memory"));
        Workload db = s.workload(WorkloadKind.STATEFUL_SET, "shop", "db").orElseThrow();
        assertEquals(ProxyPlacement.NATIVE_SIDECAR, db.proxy());
        assertEquals(2, db.replicas());
        assertNull(s.workload(WorkloadKind.DAEMON_SET, "shop", "agent").orElseThrow().replicas());
        Workload job = s.workload(WorkloadKind.JOB, "shop", "migrate").orElseThrow();
        assertEquals("false", job.podLabels().get("sidecar.istio.io/inject"));
        Workload cronJob = s.workload(WorkloadKind.CRON_JOB, "shop", "report").orElseThrow();
        assertEquals("report", cronJob.podLabels().get("job"));
        assertEquals(5, s.workloads().size());

        Hpa hpa = s.hpaFor(cart).orElseThrow();
        assertEquals(2, hpa.minReplicas());
        assertEquals(6, hpa.maxReplicas());
        List<Pdb> pdbs = s.pdbsFor(cart);
        assertEquals(1, pdbs.size());
        assertEquals("1", pdbs.get(0).minAvailable());
        assertTrue(s.pdbsFor(db).isEmpty());

        MeshConfig mesh = s.meshConfig().orElseThrow();
        assertEquals("istio-system", mesh.namespace());
        assertEquals(10, mesh.mesh().at("/defaultConfig/tracing/sampling").asInt());
        assertEquals("canary", s.meshConfig("canary").orElseThrow().revision());
        assertEquals(List.of("istio", "istio-canary"),
                s.meshConfigs().stream().map(MeshConfig::configMapName).toList());
        for (String list : dispatcher.gets("/api/v1/configmaps")) {
            assertTrue(list.contains("labelSelector=owner=helm")
                    || list.contains("labelSelector=app.kubernetes.io/name in (kiali,grafana)"),
                    "cluster-wide, only Helm's and the add-ons' ConfigMaps: " + list);
        }
        assertEquals(1, dispatcher.gets("/api/v1/namespaces/istio-system/configmaps").size());

        HelmRelease istiod = s.helmRelease("istio-system", "istiod").orElseThrow();
        assertEquals(2, istiod.revision());
        assertEquals("istiod", istiod.chartName());
        assertEquals(2, istiod.value("/pilot/autoscaleMin").asInt());
        assertEquals(5, istiod.value("/pilot/autoscaleMax").asInt(), "chart defaults merged under the user's values");
        String secretList = dispatcher.gets("/api/v1/secrets").get(0);
        assertTrue(secretList.contains("labelSelector=owner=helm,status!=superseded"), secretList);
        assertTrue(secretList.contains("fieldSelector=type=helm.sh/release.v1"), secretList);
        assertTrue(secretList.contains("limit=50"), "release Secrets are large: smaller pages; " + secretList);

        IstioResource filter = only(s.istioResources(IstioKind.ENVOY_FILTER));
        assertEquals("istio-system", filter.namespace());
        assertEquals("MERGE", filter.spec().at("/configPatches/0/patch/operation").asText());
        assertEquals("x-envoy-upstream-service-time",
                filter.spec().at("/configPatches/0/patch/value/response_headers_to_remove/0").asText());
        IstioResource telemetry = only(s.istioResources(IstioKind.TELEMETRY, "istio-system"));
        assertEquals(5.0, telemetry.spec().at("/tracing/0/randomSamplingPercentage").asDouble());
        assertEquals("telemetry.istio.io/v1", telemetry.apiVersion());
        assertEquals("public", only(s.istioResources(IstioKind.GATEWAY)).name());
        assertEquals("shop", only(s.istioResources(IstioKind.VIRTUAL_SERVICE)).namespace());
        IstioResource sail = only(s.istioResources(IstioKind.SAIL_ISTIO));
        assertNull(sail.namespace());
        assertEquals(2, sail.spec().at("/values/pilot/autoscaleMin").asInt());
        assertEquals(2, only(s.istioResources(IstioKind.ISTIO_OPERATOR)).spec()
                .at("/components/ingressGateways/0/k8s/hpaSpec/minReplicas").asInt());
    }

    @Test
    void clusterWithoutIstioCrdsSkipsTheIstioApis() {
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                """);
        apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: cart, namespace: shop}
                spec:
                  selector: {matchLabels: {app: cart}}
                  template:
                    metadata: {labels: {app: cart}}
                    spec: {containers: [{name: cart, image: cart:1}]}
                """);
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();

        assertEquals(ALL_OPTIONAL_APIS, result.skippedApis());
        assertEquals(15, result.listRequests(), "nothing is listed for APIs discovery does not show");
        assertTrue(result.snapshot().istioResources().isEmpty());
        assertTrue(result.snapshot().meshConfig().isEmpty());
        assertTrue(result.snapshot().workload(WorkloadKind.DEPLOYMENT, "shop", "cart").isPresent());
    }

    @Test
    void olderServedVersionIsUsedWhenTheNewestIsMissing() {
        crd("gateways", "Gateway", "networking.istio.io", "Namespaced", "v1beta1");
        apply("""
                apiVersion: networking.istio.io/v1beta1
                kind: Gateway
                metadata: {name: public, namespace: istio-system}
                spec: {selector: {istio: ingressgateway}}
                """);

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();

        IstioResource gateway = only(result.snapshot().istioResources(IstioKind.GATEWAY));
        assertEquals("networking.istio.io/v1beta1", gateway.apiVersion());
        assertFalse(result.skippedApis().contains("gateways.networking.istio.io"));
        assertTrue(result.skippedApis().contains("virtualservices.networking.istio.io"));
    }

    @Test
    void optionalApiAnswering404OnListIsSkipped() {
        installIstioCrds();
        dispatcher.fail("/apis/networking.istio.io/v1alpha3/envoyfilters", 404);

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();

        assertEquals(List.of("envoyfilters.networking.istio.io"), result.skippedApis());
        assertEquals(25, result.listRequests());
    }

    @Test
    void groupVersionMissingFromDiscoveryIsSkipped() {
        installIstioCrds();
        // A real API server answers 404 for a group-version nobody serves (the mock answers an empty list).
        dispatcher.fail("/apis/sailoperator.io/v1", 404);

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();

        assertEquals(List.of("istios.sailoperator.io"), result.skippedApis());
        assertEquals(24, result.listRequests());
        assertTrue(dispatcher.gets("/apis/sailoperator.io/v1/istios").isEmpty());
    }

    @Test
    void discoveryErrorOtherThan404FailsTheRead() {
        installIstioCrds();
        dispatcher.fail("/apis/telemetry.istio.io/v1", 403);

        LiveReadException e = assertThrows(LiveReadException.class, () -> new LiveSnapshotReader(client).read());

        assertEquals("telemetry.istio.io/v1", e.resource());
        assertEquals(403, e.code());
    }

    @Test
    void optionalApiThatExistsButIsForbiddenFailsTheRead() {
        installIstioCrds();
        dispatcher.fail("/apis/telemetry.istio.io/v1/telemetries", 403);

        LiveReadException e = assertThrows(LiveReadException.class, () -> new LiveSnapshotReader(client).read());

        assertEquals("telemetries.telemetry.istio.io", e.resource());
        assertEquals(403, e.code());
        assertTrue(e.getMessage().contains("Telemetry"), e.getMessage());
    }

    @Test
    void coreKindErrorFailsTheReadNamingTheKind() {
        dispatcher.fail("/apis/policy/v1/poddisruptionbudgets", 403);

        LiveReadException e = assertThrows(LiveReadException.class, () -> new LiveSnapshotReader(client).read());

        assertEquals("poddisruptionbudgets.policy", e.resource());
        assertEquals(403, e.code());
        assertTrue(e.getMessage().contains("PodDisruptionBudget"), e.getMessage());
        assertTrue(e.getMessage().contains("403"), e.getMessage());
    }

    @Test
    void coreKindMissingFailsEvenWith404() {
        dispatcher.fail("/apis/autoscaling/v2/horizontalpodautoscalers", 404);

        LiveReadException e = assertThrows(LiveReadException.class, () -> new LiveSnapshotReader(client).read());

        assertEquals("horizontalpodautoscalers.autoscaling", e.resource());
        assertEquals(404, e.code());
    }

    @Test
    void pagesThroughMoreObjectsThanThePageSize() {
        createDeployments(25);
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 10, "istio-system").readWithDiagnostics();

        assertEquals(25, result.snapshot().workloadsOfKind(WorkloadKind.DEPLOYMENT).size());
        List<String> pages = dispatcher.gets("/apis/apps/v1/deployments");
        assertEquals(3, pages.size(), pages.toString());
        assertTrue(pages.get(0).contains("limit=10") && !pages.get(0).contains("continue="), pages.get(0));
        assertTrue(pages.get(1).contains("continue=off-10"), pages.get(1));
        assertTrue(pages.get(2).contains("continue=off-20"), pages.get(2));
        assertEquals(15 + 2, result.listRequests(), "two extra pages for Deployments");
    }

    @Test
    void plainCrudMockIgnoresTheLimitAndTheReadIsStillComplete() {
        createDeployments(25);
        dispatcher.paging(false);
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 10, "istio-system").readWithDiagnostics();

        assertEquals(25, result.snapshot().workloadsOfKind(WorkloadKind.DEPLOYMENT).size());
        assertEquals(1, dispatcher.gets("/apis/apps/v1/deployments").size(), "the mock returns everything at once");
        assertEquals(15, result.listRequests());
    }

    @Test
    void expiredContinueTokenResumesWithTheServersInconsistentToken() {
        createDeployments(25);
        dispatcher.expireContinueTokens("/apis/apps/v1/deployments");
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 10, "istio-system").readWithDiagnostics();

        assertEquals(25, result.snapshot().workloadsOfKind(WorkloadKind.DEPLOYMENT).size());
        assertEquals(1, result.warnings().size(), result.warnings().toString());
        assertTrue(result.warnings().get(0).contains("Deployment"), result.warnings().get(0));
        List<String> pages = dispatcher.gets("/apis/apps/v1/deployments");
        assertEquals(4, pages.size(), "first page, expired second, then two inconsistent pages: " + pages);
        assertTrue(pages.get(2).contains("continue=inconsistent-10"), pages.get(2));
    }

    @Test
    void onlyHelmReleaseSecretsAreRead() throws IOException {
        createHelmSecret("istio-system", "istiod", 1, "superseded", "{}", true);
        createHelmSecret("istio-system", "istiod", 2, "deployed", "{}", true);
        // Looks like a release but lacks owner=helm: Helm itself would not read it.
        createHelmSecret("istio-system", "impostor", 1, "deployed", "{}", false);
        client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName("owned-opaque")
                .addToLabels("owner", "helm").endMetadata().withType("Opaque")
                .addToData("release", "bm90IGEgcmVsZWFzZQ==").build()).create();
        client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName("token")
                .endMetadata().withType("Opaque").addToData("token", "c2VjcmV0").build()).create();
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client).readWithDiagnostics();

        assertEquals(List.of("istiod"), result.snapshot().helmReleases().stream().map(HelmRelease::name).toList());
        assertTrue(result.snapshot().helmRelease("istio-system", "impostor").isEmpty());
        assertEquals(2, result.snapshot().helmRelease("istio-system", "istiod").orElseThrow().revision());
        // The mock applies the label selector (superseded revisions stay on the server) but not the field selector:
        // the Opaque one reaches the client, which drops it.
        assertEquals(2, result.itemsListed());
    }

    @Test
    void helmReleasesStoredInConfigMapsAreRead() throws IOException {
        ObjectNode release = (ObjectNode) JSON.readTree("""
                {"name": "gw", "namespace": "ingress", "version": 4, "info": {"status": "deployed"},
                 "chart": {"metadata": {"name": "gateway", "version": "1.30.3"}, "values": {"replicaCount": 1}},
                 "config": {"replicaCount": 3}}
                """);
        for (int[] rev : new int[][] {{3, 0}, {4, 1}}) {
            release.put("version", rev[0]);
            ((ObjectNode) release.get("info")).put("status", rev[1] == 1 ? "deployed" : "superseded");
            client.configMaps().inNamespace("ingress").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                    .withNewMetadata().withName("sh.helm.release.v1.gw.v" + rev[0]).withNamespace("ingress")
                    .addToLabels("owner", "helm").addToLabels("name", "gw")
                    .addToLabels("status", rev[1] == 1 ? "deployed" : "superseded")
                    .addToLabels("version", Integer.toString(rev[0])).endMetadata()
                    .addToData("release", io.meshwarden.cluster.HelmEncoding.configMapData(release)).build()).create();
        }
        client.configMaps().inNamespace("ingress").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("app-config").withNamespace("ingress").endMetadata()
                .addToData("release", "not a release").build()).create();

        ClusterSnapshot s = new LiveSnapshotReader(client).read();

        HelmRelease gw = s.helmRelease("ingress", "gw").orElseThrow();
        assertEquals(4, gw.revision());
        assertEquals("gateway", gw.chartName());
        assertEquals(3, gw.value("/replicaCount").asInt(), "HELM_DRIVER=configmap: no extra base64 layer");
    }

    /**
     * Pods are listed in pages like every kind and counted per owning workload as each page arrives; the snapshot
     * keeps the counts, not the pods.
     */
    @Test
    void runningPodsArePagedAndCountedPerOwningWorkload() {
        apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop, labels: {istio-injection: enabled}}
                """);
        apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: cart, namespace: shop}
                spec:
                  selector: {matchLabels: {app: cart}}
                  template:
                    metadata: {labels: {app: cart}}
                    spec: {containers: [{name: cart, image: cart:1}]}
                """);
        apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: shop}
                spec:
                  template:
                    metadata: {labels: {app: migrate}}
                    spec: {restartPolicy: Never, containers: [{name: job, image: job:1}]}
                """);
        // 23 pods of cart: 12 injected by the default revision (native sidecars), 4 by 1-27, 7 without a proxy.
        for (int i = 0; i < 23; i++) {
            String proxy = i < 12 ? "initContainers: [{name: istio-proxy, image: proxyv2, restartPolicy: Always}]"
                    : i < 16 ? "initContainers: []" : "initContainers: []";
            String containers = i >= 12 && i < 16 ? "[{name: cart, image: cart:1}, {name: istio-proxy, image: p}]"
                    : "[{name: cart, image: cart:1}]";
            String revision = i < 12 ? "default" : "1-27";
            String annotations = i < 16 ? "{sidecar.istio.io/status: '{\"revision\":\"" + revision + "\"}'}" : "{}";
            apply("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: cart-5d8f7c9b4-%02d
                      namespace: shop
                      labels: {app: cart, pod-template-hash: 5d8f7c9b4}
                      annotations: %s
                      ownerReferences:
                      - {apiVersion: apps/v1, kind: ReplicaSet, name: cart-5d8f7c9b4, uid: r1, controller: true}
                    spec:
                      %s
                      containers: %s
                    status: {phase: Running}
                    """.formatted(i, annotations, proxy, containers));
        }
        // Finished pods of the Job and a pod of a ReplicaSet no Deployment owns: counted for no one.
        apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: migrate-abcde
                  namespace: shop
                  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, uid: j1, controller: true}]
                spec: {containers: [{name: job, image: job:1}]}
                status: {phase: Succeeded}
                """);
        apply("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: orphan-1
                  namespace: shop
                  labels: {pod-template-hash: 77}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: orphan, uid: o1, controller: true}]
                spec: {containers: [{name: x, image: x}]}
                status: {phase: Running}
                """);
        dispatcher.clearRequests();

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 10, "istio-system").readWithDiagnostics();

        List<String> pages = dispatcher.gets("/api/v1/pods");
        assertEquals(3, pages.size(), "25 pods in pages of 10: " + pages);
        assertTrue(pages.get(0).contains("limit=10") && pages.get(0).contains("fieldSelector="), pages.get(0));
        ClusterSnapshot s = result.snapshot();
        Workload cart = s.workload(WorkloadKind.DEPLOYMENT, "shop", "cart").orElseThrow();
        assertEquals(new io.meshwarden.model.RunningPods(WorkloadKind.DEPLOYMENT, "shop", "cart", 23, 16,
                Map.of("default", 12, "1-27", 4)), s.runningPods(cart).orElseThrow());
        Workload migrate = s.workload(WorkloadKind.JOB, "shop", "migrate").orElseThrow();
        assertTrue(s.runningPods(migrate).isEmpty(), "the Job's pod has finished");
        assertEquals(1, s.runningPods().size());
    }

    @Test
    void rejectsBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotReader(client, 0, "istio-system"));
        assertThrows(IllegalArgumentException.class, () -> new LiveSnapshotReader(client, 10, ""));
        LiveSnapshotReader reader = new LiveSnapshotReader(client);
        assertEquals(LiveSnapshotReader.DEFAULT_PAGE_SIZE, reader.pageSize());
        assertEquals("istio-system", reader.istioNamespace());
    }

    private void createDeployments(int n) {
        for (int i = 0; i < n; i++) {
            apply("""
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: app-%02d, namespace: ns-%d}
                    spec:
                      selector: {matchLabels: {app: a%d}}
                      template:
                        metadata: {labels: {app: a%d}}
                        spec: {containers: [{name: c, image: c:1}]}
                    """.formatted(i, i % 4, i, i));
        }
    }

    private static <T> T only(List<T> resources) {
        assertEquals(1, resources.size(), resources.toString());
        return resources.get(0);
    }

    private void apply(String yaml) {
        client.resource(yaml).create();
    }

    private void installIstioCrds() {
        crd("envoyfilters", "EnvoyFilter", "networking.istio.io", "Namespaced", "v1alpha3");
        crd("gateways", "Gateway", "networking.istio.io", "Namespaced", "v1", "v1beta1", "v1alpha3");
        crd("virtualservices", "VirtualService", "networking.istio.io", "Namespaced", "v1", "v1beta1", "v1alpha3");
        crd("telemetries", "Telemetry", "telemetry.istio.io", "Namespaced", "v1", "v1alpha1");
        crd("istios", "Istio", "sailoperator.io", "Cluster", "v1");
        crd("istiooperators", "IstioOperator", "install.istio.io", "Namespaced", "v1alpha1");
        crd("servicemonitors", "ServiceMonitor", "monitoring.coreos.com", "Namespaced", "v1");
        crd("podmonitors", "PodMonitor", "monitoring.coreos.com", "Namespaced", "v1");
        crd("prometheusrules", "PrometheusRule", "monitoring.coreos.com", "Namespaced", "v1");
        crd("kialis", "Kiali", "kiali.io", "Namespaced", "v1alpha1");
    }

    private void crd(String plural, String kind, String group, String scope, String... versions) {
        List<CustomResourceDefinitionVersion> served = new ArrayList<>();
        for (int i = 0; i < versions.length; i++) {
            served.add(new CustomResourceDefinitionVersionBuilder().withName(versions[i]).withServed(true)
                    .withStorage(i == 0).build());
        }
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope(scope)
                .withNewNames().withKind(kind).withPlural(plural).withListKind(kind + "List")
                .withSingular(kind.toLowerCase()).endNames()
                .withVersions(served).endSpec().build()).create();
    }

    /** Stored as Helm does: JSON, gzip, base64 into {@code data.release}; the Secret's data adds base64 again. */
    private void createHelmSecret(String ns, String name, int revision, String status, String config,
            boolean ownerLabel) throws IOException {
        ObjectNode release = (ObjectNode) JSON.readTree("""
                {
                  "name": "%s", "namespace": "%s", "version": %d,
                  "info": {"status": "%s"},
                  "chart": {
                    "metadata": {"name": "istiod", "version": "1.27.3", "appVersion": "1.27.3"},
                    "templates": [{"name": "templates/hpa.yaml", "data": "a2luZDogSFBB"}],
                    "values": {"pilot": {"autoscaleEnabled": true, "autoscaleMin": 1, "autoscaleMax": 5}}
                  },
                  "manifest": "---\\nkind: Deployment\\n"
                }
                """.formatted(name, ns, revision, status));
        release.set("config", JSON.readTree(config));
        String apiEncoded = io.meshwarden.cluster.HelmEncoding.secretData(release);
        SecretBuilder secret = new SecretBuilder().withNewMetadata()
                .withName("sh.helm.release.v1." + name + ".v" + revision).withNamespace(ns)
                .addToLabels("name", name).addToLabels("status", status)
                .addToLabels("version", Integer.toString(revision)).endMetadata()
                .withType("helm.sh/release.v1").addToData("release", apiEncoded);
        if (ownerLabel) {
            secret.editMetadata().addToLabels("owner", "helm").endMetadata();
        }
        client.secrets().inNamespace(ns).resource(secret.build()).create();
    }
}

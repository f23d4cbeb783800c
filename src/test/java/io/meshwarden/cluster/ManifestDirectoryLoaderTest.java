package io.meshwarden.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Quantity;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ProxyPlacement;
import io.meshwarden.model.ProxyResources;
import io.meshwarden.model.RunningPods;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.LabelSelector;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestDirectoryLoaderTest {
    private static ClusterSnapshot snapshot;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadFixtureTree() throws URISyntaxException {
        Path tree = Path.of(ManifestDirectoryLoaderTest.class.getResource("/cluster/tree").toURI());
        snapshot = new ManifestDirectoryLoader().load(tree);
    }

    @Test
    void readsNamespacesFromAListWhoseKindFollowsItsItems() {
        assertEquals(List.of("batch", "istio-system", "shop"),
                snapshot.namespaces().stream().map(NamespaceInfo::name).toList());
        NamespaceInfo shop = snapshot.namespace("shop").orElseThrow();
        assertEquals("enabled", shop.labels().get("istio-injection"));
        assertEquals(Map.of("owner", "team-shop"), shop.annotations(), "last-applied-configuration is dropped");
        assertEquals("canary", snapshot.namespace("batch").orElseThrow().labels().get("istio.io/rev"));
        assertTrue(snapshot.namespace("nope").isEmpty());
    }

    @Test
    void readsDeploymentWithSidecarContainerFromMultiDocumentFile() {
        Workload cart = snapshot.workload(WorkloadKind.DEPLOYMENT, "shop", "cart").orElseThrow();
        assertEquals(2, cart.replicas());
        assertEquals(Map.of("app", "cart"), cart.labels());
        assertEquals(Map.of("deployment.kubernetes.io/revision", "3"), cart.annotations());
        assertEquals(Map.of("app", "cart", "version", "v1"), cart.podLabels());
        assertEquals("200m", cart.podAnnotations().get("sidecar.istio.io/proxyCPU"));
        assertEquals(ProxyPlacement.CONTAINER, cart.proxy());
        assertTrue(cart.hasIstioProxy());
        assertFalse(cart.hasNativeSidecar());
        ProxyResources res = cart.proxyResources();
        assertEquals(new Quantity("200m"), res.request("cpu").orElseThrow());
        assertEquals(new BigDecimal("1073741824"),
                Quantity.getAmountInBytes(res.limit("memory").orElseThrow()).stripTrailingZeros()
                        .setScale(0));
        assertEquals("2", res.limits().get("cpu"));
        assertTrue(res.request("ephemeral-storage").isEmpty());
    }

    @Test
    void readsCronJobTemplateWithNativeSidecarFromNestedFolder() {
        Workload report = snapshot.workload(WorkloadKind.CRON_JOB, "batch", "report").orElseThrow();
        assertNull(report.replicas());
        assertEquals("true", report.podLabels().get("sidecar.istio.io/inject"));
        assertEquals(ProxyPlacement.NATIVE_SIDECAR, report.proxy());
        assertTrue(report.hasNativeSidecar());
        assertEquals("100m", report.proxyResources().requests().get("cpu"));
        assertTrue(report.proxyResources().limits().isEmpty());
    }

    @Test
    void initContainerWithoutRestartPolicyAlwaysIsNoProxyAndNamespaceDefaults() {
        Workload migrate = snapshot.workload(WorkloadKind.JOB, "default", "migrate").orElseThrow();
        assertEquals(ProxyPlacement.NONE, migrate.proxy());
        assertNull(migrate.proxyResources());
    }

    @Test
    void ignoresUnknownKindsAndLookalikesFromOtherGroups() {
        assertEquals(List.of("CronJob batch/report", "Job default/migrate", "Deployment istio-system/istiod",
                "Deployment shop/cart"), snapshot.workloads().stream().map(Workload::ref).toList());
        assertTrue(snapshot.istioResources(IstioKind.GATEWAY).stream().noneMatch(g -> g.name().equals("shop-gw")),
                "Gateway API Gateway is not an Istio Gateway");
    }

    @Test
    void infersItemKindOfTypedListInJson() {
        Workload istiod = snapshot.workload(WorkloadKind.DEPLOYMENT, "istio-system", "istiod").orElseThrow();
        assertEquals(1, istiod.replicas());
        assertEquals("false", istiod.podAnnotations().get("sidecar.istio.io/inject"));
        assertEquals(ProxyPlacement.NONE, istiod.proxy());
        assertEquals(List.of(istiod), snapshot.workloadsIn("istio-system"));
    }

    @Test
    void readsHpaAndPdb() {
        Workload cart = snapshot.workload(WorkloadKind.DEPLOYMENT, "shop", "cart").orElseThrow();
        Hpa hpa = snapshot.hpaFor(cart).orElseThrow();
        assertEquals(new Hpa("shop", "cart", "Deployment", "cart", 1, 6, 3), hpa);
        assertTrue(snapshot.hpaFor(snapshot.workload(WorkloadKind.DEPLOYMENT, "istio-system", "istiod")
                .orElseThrow()).isEmpty());

        List<Pdb> pdbs = snapshot.pdbsFor(cart);
        assertEquals(1, pdbs.size());
        Pdb pdb = pdbs.get(0);
        assertEquals("50%", pdb.minAvailable());
        assertNull(pdb.maxUnavailable());
        assertEquals(Map.of("app", "cart"), pdb.selector().matchLabels());
        assertEquals(List.of(new LabelSelector.Requirement("version", LabelSelector.Operator.In, List.of("v1", "v2"))),
                pdb.selector().matchExpressions());
    }

    @Test
    void parsesMeshConfigOnlyFromIstioConfigMapsWithMeshKey() {
        assertEquals(List.of("istio", "istio-canary"),
                snapshot.meshConfigs().stream().map(MeshConfig::configMapName).toList());
        MeshConfig mesh = snapshot.meshConfig().orElseThrow();
        assertTrue(mesh.isDefaultRevision());
        assertEquals("istio-system", mesh.namespace());
        assertTrue(mesh.mesh().at("/defaultConfig/proxyHeaders/envoyDebugHeaders/disabled").booleanValue());
        assertEquals(1.0, mesh.mesh().at("/defaultConfig/tracing/sampling").doubleValue());
        assertEquals("/dev/stdout", mesh.mesh().path("accessLogFile").asText());
        MeshConfig canary = snapshot.meshConfig("canary").orElseThrow();
        assertEquals("canary", canary.revision());
        assertTrue(canary.mesh().isObject() && canary.mesh().isEmpty(), "empty mesh value reads as {}");
        assertEquals(mesh, snapshot.meshConfig("default").orElseThrow());
        assertTrue(snapshot.meshConfig("stable").isEmpty());
    }

    @Test
    void keepsLatestDeployedHelmReleaseWithEffectiveValues() {
        assertEquals(1, snapshot.helmReleases().size());
        HelmRelease istiod = snapshot.helmRelease("istio-system", "istiod").orElseThrow();
        assertEquals(2, istiod.revision());
        assertEquals("istiod", istiod.chartName());
        assertEquals(2, istiod.value("/pilot/autoscaleMin").intValue());
        assertTrue(istiod.value("/pilot/replicaCount").isMissingNode());
        assertTrue(istiod.value("/global/defaultPodDisruptionBudget/enabled").booleanValue());
        assertEquals(List.of(istiod), snapshot.helmReleasesOfChart("istiod"));
    }

    @Test
    void readsIstioResourcesGenerically() {
        IstioResource filter = snapshot.istioResources(IstioKind.ENVOY_FILTER).get(0);
        assertEquals("networking.istio.io/v1alpha3", filter.apiVersion());
        assertEquals("istio-system", filter.namespace());
        assertEquals("GATEWAY", filter.spec().at("/configPatches/0/match/context").asText());
        assertEquals(1, snapshot.istioResources(IstioKind.GATEWAY, "shop").size());
        assertEquals("cart", snapshot.istioResources(IstioKind.VIRTUAL_SERVICE).get(0).name());
        assertEquals(5.0, snapshot.istioResources(IstioKind.TELEMETRY).get(0).spec()
                .at("/tracing/0/randomSamplingPercentage").doubleValue());
        IstioResource sail = snapshot.istioResources(IstioKind.SAIL_ISTIO, null).get(0);
        assertNull(sail.namespace(), "Sail Istio is cluster-scoped");
        assertEquals(2, sail.spec().at("/values/pilot/autoscaleMin").intValue());
        assertEquals(2, snapshot.istioResources(IstioKind.ISTIO_OPERATOR).get(0).spec()
                .at("/components/ingressGateways/0/k8s/hpaSpec/minReplicas").intValue());
    }

    @Test
    void snapshotIsImmutable() {
        assertThrows(UnsupportedOperationException.class, () -> snapshot.workloads().clear());
        assertThrows(UnsupportedOperationException.class, () -> snapshot.workloadsIn("shop").clear());
        assertThrows(UnsupportedOperationException.class,
                () -> snapshot.namespaces().get(0).labels().put("x", "y"));
    }

    /** kubectl get pods -A -o yaml: a List of Pods, counted per owning workload whichever file comes first. */
    @Test
    void countsRunningPodsPerWorkloadFromPodDocuments() throws IOException {
        String status = "'{\"containers\":[\"istio-proxy\"],\"revision\":\"%s\"}'";
        Files.writeString(tmp.resolve("a-pods.yaml"), """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Pod
                  metadata:
                    name: web-7f9c-1
                    namespace: shop
                    labels: {pod-template-hash: 7f9c}
                    annotations: {sidecar.istio.io/status: %s}
                    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7f9c, controller: true}]
                  spec: {containers: [{name: web, image: web}, {name: istio-proxy, image: proxyv2}]}
                  status: {phase: Running}
                - apiVersion: v1
                  kind: Pod
                  metadata:
                    name: web-7f9c-2
                    namespace: shop
                    labels: {pod-template-hash: 7f9c}
                    annotations: {sidecar.istio.io/status: %s}
                    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7f9c, controller: true}]
                  spec:
                    initContainers: [{name: istio-proxy, image: proxyv2, restartPolicy: Always}]
                    containers: [{name: web, image: web}]
                  status: {phase: Pending}
                - apiVersion: v1
                  kind: Pod
                  metadata:
                    name: web-6d5e-1
                    namespace: shop
                    labels: {pod-template-hash: 6d5e}
                    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-6d5e, controller: true}]
                  spec: {containers: [{name: web, image: web}]}
                  status: {phase: Running}
                - apiVersion: v1
                  kind: Pod
                  metadata:
                    name: web-6d5e-2
                    namespace: shop
                    labels: {pod-template-hash: 6d5e}
                    deletionTimestamp: "2026-11-30T10:00:00Z"
                    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-6d5e, controller: true}]
                  spec: {containers: [{name: web, image: web}]}
                  status: {phase: Running}
                - apiVersion: v1
                  kind: Pod
                  metadata:
                    name: agent-x1
                    namespace: shop
                    ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, controller: true}]
                  spec: {containers: [{name: agent, image: agent}]}
                  status: {phase: Succeeded}
                """.formatted(status.formatted("default"), status.formatted("1-28")));
        Files.writeString(tmp.resolve("b-workloads.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: web, image: web}]}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: shop}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec: {containers: [{name: agent, image: agent}]}
                """);
        ClusterSnapshot s = new ManifestDirectoryLoader().load(tmp);
        Workload web = s.workload(WorkloadKind.DEPLOYMENT, "shop", "web").orElseThrow();
        RunningPods pods = s.runningPods(web).orElseThrow();
        // Two ReplicaSets of one Deployment; the pod being deleted is not counted.
        assertEquals(new RunningPods(WorkloadKind.DEPLOYMENT, "shop", "web", 3, 2, Map.of("default", 1, "1-28", 1)),
                pods);
        assertEquals(1, pods.withoutProxy());
        assertEquals(1, pods.onOtherRevisions("default"));
        // The DaemonSet's only pod has finished.
        assertTrue(s.runningPods(s.workload(WorkloadKind.DAEMON_SET, "shop", "agent").orElseThrow()).isEmpty());
        assertEquals(1, s.runningPods().size());
    }

    @Test
    void duplicateAndMalformedPodsNameTheirFile() throws IOException {
        String pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n"
                + "spec: {containers: [{name: web, image: web}]}\n";
        Path dir = Files.createDirectories(tmp.resolve("dup"));
        Files.writeString(dir.resolve("a.yaml"), pod);
        Files.writeString(dir.resolve("b.yaml"), pod);
        ManifestLoadException dup = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(dir));
        assertTrue(dup.getMessage().contains("b.yaml:1") && dup.getMessage().contains("Pod shop/web-1"),
                dup.getMessage());
        Path bad = Files.createDirectories(tmp.resolve("bad")).resolve("pod.yaml");
        Files.writeString(bad, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n"
                + "  ownerReferences: {kind: ReplicaSet}\nspec: {containers: []}\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(bad.getParent()));
        assertTrue(e.getMessage().contains("pod.yaml:1") && e.getMessage().contains("Pod shop/web-1")
                && e.getMessage().contains("metadata.ownerReferences"), e.getMessage());
    }

    @Test
    void malformedYamlNamesFileAndLine() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("a/b"));
        Files.writeString(dir.resolve("ok.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n");
        Path bad = dir.resolve("broken.yaml");
        Files.writeString(bad, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [unclosed\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(tmp));
        assertEquals(bad, e.file());
        assertTrue(e.getMessage().startsWith(bad.toString() + ":"), e.getMessage());
        assertTrue(e.line() >= 4, "line " + e.line());
    }

    @Test
    void malformedJsonNamesFileAndLine() throws IOException {
        Path bad = tmp.resolve("list.json");
        Files.writeString(bad, "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": }\n  ]\n}\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(tmp));
        assertEquals(bad, e.file());
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("list.json:4"), e.getMessage());
    }

    @Test
    void invalidObjectNamesFileLineAndObject() throws IOException {
        Path bad = tmp.resolve("deploy.yaml");
        Files.writeString(bad, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: apps/v1\n"
                + "kind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  replicas: two\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(tmp));
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("deploy.yaml:5") && e.getMessage().contains("Deployment a/web")
                && e.getMessage().contains("spec.replicas"), e.getMessage());
    }

    @Test
    void scalarDocumentAndDuplicatesAreRejected() throws IOException {
        Path scalar = tmp.resolve("x/notes.yaml");
        Files.createDirectories(scalar.getParent());
        Files.writeString(scalar, "just a sentence\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(scalar));
        assertTrue(e.getMessage().contains("notes.yaml:1"), e.getMessage());

        Path dir = Files.createDirectories(tmp.resolve("dup"));
        String ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
        Files.writeString(dir.resolve("a.yaml"), ns);
        Files.writeString(dir.resolve("b.yaml"), "# again\n" + ns);
        ManifestLoadException dup = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(dir));
        assertTrue(dup.getMessage().contains("b.yaml:2") && dup.getMessage().contains("a.yaml:1")
                && dup.getMessage().contains("Namespace shop"), dup.getMessage());
    }

    @Test
    void badHelmSecretInFileNamesFileAndSecret() throws IOException {
        Path bad = tmp.resolve("release.yaml");
        Files.writeString(bad, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.gw.v1\n"
                + "  namespace: ingress\n  labels: {owner: helm, status: deployed}\ntype: helm.sh/release.v1\n"
                + "data:\n  release: '***'\n");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(tmp));
        assertTrue(e.getMessage().contains("release.yaml:1")
                && e.getMessage().contains("ingress/sh.helm.release.v1.gw.v1"), e.getMessage());
    }

    @Test
    void readsAReleaseStoredInAConfigMap() throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode release = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("name", "gw").put("namespace", "ingress").put("version", 3);
        release.putObject("info").put("status", "deployed");
        release.putObject("chart").putObject("metadata").put("name", "gateway").put("version", "1.30.3");
        release.putObject("config").put("replicaCount", 2);
        Files.writeString(tmp.resolve("release.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                + "  name: sh.helm.release.v1.gw.v3\n  namespace: ingress\n"
                + "  labels: {owner: helm, name: gw, status: deployed, version: '3'}\n"
                + "data:\n  release: " + HelmEncoding.configMapData(release) + "\n");

        HelmRelease gw = new ManifestDirectoryLoader().load(tmp).helmRelease("ingress", "gw").orElseThrow();

        assertEquals(3, gw.revision());
        assertEquals("gateway", gw.chartName());
        assertEquals(2, gw.value("/replicaCount").intValue());
    }

    @Test
    void missingRootIsReported() {
        Path missing = tmp.resolve("nothing-here");
        ManifestLoadException e = assertThrows(ManifestLoadException.class,
                () -> new ManifestDirectoryLoader().load(missing));
        assertEquals(missing, e.file());
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The monitoring objects ControlPlaneMonitoring creates, judged by a real API server with prometheus-operator's own
 * CRDs (generated from its API module at the pinned version by src/test/prometheus-operator/crds.sh): every one
 * passes {@code kubectl apply --dry-run=server --validate=strict}, the Applier creates them through discovery like
 * any other kind, and the live reader then finds them and the findings are gone. MeshAddons is checked live on
 * Istio's own sample add-ons, and its Service remedy (NodePort to ClusterIP) is accepted by the server.
 */
class MonitoringObjectsE2E {
    static final Path CRDS_SCRIPT = Path.of("src", "test", "prometheus-operator", "crds.sh");
    static KubernetesClient client;
    static String ns;

    @BeforeAll
    static void setUp() {
        client = ControlPlane.client();
        installPrometheusOperatorCrds(client);
        ns = ControlPlane.namespace(client, "mon-" + ControlPlane.suffix(), Map.of());
    }

    /** ServiceMonitor, PodMonitor and PrometheusRule as prometheus-operator defines them, at the pinned version. */
    static void installPrometheusOperatorCrds(KubernetesClient client) {
        Path crds = Path.of(run(List.of("bash", CRDS_SCRIPT.toString(), "dir"), null).strip());
        for (String kind : List.of("servicemonitors", "podmonitors", "prometheusrules")) {
            try {
                ControlPlane.installCrds(client, Files.readString(crds.resolve("monitoring.coreos.com_" + kind
                        + ".yaml")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @AfterAll
    static void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    static final String CONTROL_PLANE = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: istiod, namespace: NS, labels: {app: istiod, istio: pilot}}
            spec:
              replicas: 1
              selector: {matchLabels: {app: istiod, istio: pilot}}
              template:
                metadata: {labels: {app: istiod, istio: pilot}}
                spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.29.0}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: istiod, namespace: NS, labels: {app: istiod, istio: pilot}}
            spec:
              selector: {app: istiod, istio: pilot}
              ports: [{name: http-monitoring, port: 15014}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: ingress, namespace: NS}
            spec:
              replicas: 1
              selector: {matchLabels: {app: ingress, istio: ingressgateway}}
              template:
                metadata: {labels: {app: ingress, istio: ingressgateway}}
                spec: {containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.29.0}]}
            """;

    @Test
    void createdMonitoringObjectsPassTheRealCrdsAndSatisfyThePolicyOnceApplied() {
        ControlPlane.apply(client, CONTROL_PLANE.replace("NS", ns));
        MeshPolicy policy = E2EObjects.policy("e2e-monitoring", "ControlPlaneMonitoring", "enforce", List.of(ns),
                "{monitorLabels: {release: e2e-prometheus}}");

        LiveSnapshotReader.Result read = new LiveSnapshotReader(client).readWithDiagnostics();
        for (String api : List.of("servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com",
                "prometheusrules.monitoring.coreos.com")) {
            assertFalse(read.skippedApis().contains(api), api + " is served");
        }
        assertTrue(read.skippedApis().contains("kialis.kiali.io"), "no Kiali CRD here: noted, not an error");
        EvaluationResult before = PolicyTypes.EVALUATOR.evaluate(List.of(policy), read.snapshot());
        List<Finding> creates = before.findings().stream()
                .filter(f -> f.remedy() != null && Remedy.CREATE.equals(f.remedy().action())).toList();
        assertEquals(Map.of("monitoring-istiod-not-scraped", 1L, "monitoring-gateway-not-scraped", 1L,
                "monitoring-alert-missing", 6L), before.findings().stream()
                .collect(Collectors.groupingBy(Finding::rule, Collectors.counting())));
        assertEquals(8, creates.size());

        List<String> refused = new ArrayList<>();
        for (Finding f : creates) {
            String yaml = Json.toYaml(f.remedy().patch());
            String out = kubectl(List.of("apply", "--dry-run=server", "--validate=strict", "-f", "-"), yaml);
            if (!out.contains("(server dry run)")) {
                refused.add(f.remedy().target() + ": " + out);
            }
            HasMetadata item = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                    .items().get(0);
            try {
                client.resource(item).dryRun().fieldValidation(Validation.STRICT).create();
            } catch (KubernetesClientException e) {
                refused.add(f.remedy().target() + " (create): " + e.getMessage());
            }
        }
        assertEquals(List.of(), refused);
        assertTrue(client.genericKubernetesResources("monitoring.coreos.com/v1", "PrometheusRule").inNamespace(ns)
                .list().getItems().isEmpty(), "dry runs persist nothing");

        Plan plan = Planner.plan(List.of(policy), before, read.snapshot());
        assertEquals(8, plan.changes().size(), plan.changes()::toString);
        ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(plan, false);
        assertEquals(List.of(), applied.failed(), () -> applied.outcomes().toString());
        assertEquals(8, applied.applied().size());
        GenericKubernetesResource monitor = client.genericKubernetesResources("monitoring.coreos.com/v1",
                "ServiceMonitor").inNamespace(ns).withName("meshwarden-istiod").get();
        assertEquals("e2e-prometheus", monitor.getMetadata().getLabels().get("release"));
        assertEquals(Applier.MANAGED_BY_VALUE, monitor.getMetadata().getLabels().get(Applier.MANAGED_BY));
        assertEquals(6, client.genericKubernetesResources("monitoring.coreos.com/v1", "PrometheusRule")
                .inNamespace(ns).list().getItems().size());

        ClusterSnapshot after = new LiveSnapshotReader(client).read();
        EvaluationResult again = PolicyTypes.EVALUATOR.evaluate(List.of(policy), after);
        assertEquals(List.of(), again.findings(), "what was created satisfies the policy when read back");
        assertEquals(8, again.summary().evaluated());
    }

    @Test
    void istioSampleAddOnsAreFoundLiveAndTheServiceRemedyIsAccepted() throws IOException {
        String addonsNs = ControlPlane.namespace(client, "addons-" + ControlPlane.suffix(), Map.of());
        try {
            Path samples = Path.of("src", "test", "resources", "addons", "istio-samples");
            for (String file : List.of("kiali.yaml", "grafana.yaml", "jaeger.yaml", "prometheus.yaml")) {
                List<HasMetadata> items = client.load(Files.newInputStream(samples.resolve(file))).items();
                for (HasMetadata item : items) {
                    if (item.getMetadata().getNamespace() == null) {
                        continue; // ClusterRoles and their bindings: not what the rules read, and cluster-wide.
                    }
                    item.getMetadata().setNamespace(addonsNs);
                    client.resource(item).fieldManager("meshwarden-e2e").forceConflicts().serverSideApply();
                }
            }
            // Published as teams do when they want the dashboard "just for a while".
            client.services().inNamespace(addonsNs).withName("grafana").edit(s -> {
                s.getSpec().setType("NodePort");
                return s;
            });
            MeshPolicy policy = E2EObjects.policy("e2e-addons", "MeshAddons", "audit", List.of(addonsNs), "{}");
            ClusterSnapshot snapshot = new LiveSnapshotReader(client).read();
            EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(List.of(policy), snapshot);
            TreeSet<String> found = r.findings().stream().map(f -> f.rule() + " " + f.resource())
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(List.of(
                    "addon-ephemeral-storage Deployment " + addonsNs + "/grafana",
                    "addon-ephemeral-storage Deployment " + addonsNs + "/jaeger",
                    "addon-ephemeral-storage Deployment " + addonsNs + "/prometheus",
                    "addon-exposed Service " + addonsNs + "/grafana",
                    "addon-grafana-open Deployment " + addonsNs + "/grafana",
                    "addon-kiali-anonymous ConfigMap " + addonsNs + "/kiali",
                    "addon-not-allowed Deployment " + addonsNs + "/grafana",
                    "addon-not-allowed Deployment " + addonsNs + "/jaeger",
                    "addon-not-allowed Deployment " + addonsNs + "/kiali",
                    "addon-not-allowed Deployment " + addonsNs + "/prometheus",
                    "addon-resources-missing Deployment " + addonsNs + "/grafana",
                    "addon-resources-missing Deployment " + addonsNs + "/prometheus")), found);
            assertTrue(snapshot.addonConfigsIn(addonsNs).stream().noneMatch(c -> c.name().contains("dashboards")),
                    "the dashboards ConfigMaps are not read");

            Plan plan = Planner.plan(List.of(E2EObjects.policy("e2e-addons", "MeshAddons", "enforce",
                    List.of(addonsNs), "{}")), r, snapshot);
            ApplyResult dry = new Applier(client, Clock.systemUTC()).apply(plan, true);
            assertEquals(List.of(), dry.failed(), () -> dry.outcomes().toString());
            assertEquals(2, dry.outcomes().size(), "the Service and the Kiali ConfigMap: " + dry.outcomes());
            ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(plan, false);
            assertEquals(List.of(), applied.failed(), () -> applied.outcomes().toString());
            assertEquals("ClusterIP", client.services().inNamespace(addonsNs).withName("grafana").get().getSpec()
                    .getType(), "the API server drops the node port with the type");
            JsonNode config = Json.parseYaml(client.configMaps().inNamespace(addonsNs).withName("kiali").get()
                    .getData().get("config.yaml"));
            assertEquals("token", config.at("/auth/strategy").asText());
            assertEquals("kiali", config.at("/deployment/instance_name").asText(), "the rest of config.yaml stays");
        } finally {
            ControlPlane.deleteNamespaces(client, addonsNs);
        }
    }

    private static String kubectl(List<String> args, String stdin) {
        List<String> command = new ArrayList<>(List.of(ControlPlane.kubectl(), "--kubeconfig",
                ControlPlane.kubeconfig().toString()));
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kubectl did not finish: " + command);
            }
            return "exit " + p.exitValue() + ": " + out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String run(List<String> command, String stdin) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

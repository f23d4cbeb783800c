package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.HelmReleaseDecoder;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Release Secrets written by the real helm binary (install, then two upgrades), read by Meshwarden: the decoder
 * must follow Helm's actual encoding, and the reader's label selector must leave superseded revisions on the server.
 */
class HelmE2E {
    static final Path CHART = Path.of("src", "test", "resources", "e2e", "chart", "istiod");
    static final Path OVERLAY = Path.of("src", "test", "resources", "e2e", "chart", "upgrade-autoscale.yaml");
    static final String RELEASE = "istiod";

    static KubernetesClient client;
    static String ns;
    static String appNs;

    @BeforeAll
    static void installAndUpgradeTwice() {
        client = ControlPlane.client();
        String suffix = ControlPlane.suffix();
        ns = ControlPlane.namespace(client, "e2e-helm-" + suffix, Map.of());
        appNs = ControlPlane.namespace(client, "e2e-helm-app-" + suffix, Map.of("istio-injection", "enabled"));
        client.resource(E2EObjects.deployment(appNs, "web", 1, Map.of())).create();

        helm("install", RELEASE, CHART.toString(), "--namespace", ns);
        helm("upgrade", RELEASE, CHART.toString(), "--namespace", ns, "--reuse-values",
                "--set", "global.proxy.resources.requests.cpu=250m");
        helm("upgrade", RELEASE, CHART.toString(), "--namespace", ns, "--reuse-values", "-f", OVERLAY.toString());
    }

    @AfterAll
    static void uninstall() {
        if (client != null) {
            try {
                // istiod's values steer other classes' ProxySizing checks: leave no release behind.
                helm("uninstall", RELEASE, "--namespace", ns);
            } finally {
                ControlPlane.deleteNamespaces(client, ns, appNs);
                client.close();
            }
        }
    }

    @Test
    void helmRenderedTheUpgradedValues() {
        Map<String, String> data = client.configMaps().inNamespace(ns).withName(RELEASE + "-values").get().getData();
        assertEquals("250m", data.get("proxyCPU"));
        assertEquals("2", data.get("autoscaleMin"));
    }

    @Test
    void theDecoderReadsEveryRevisionHelmWrote() {
        List<Secret> secrets = client.secrets().inNamespace(ns).withLabel("owner", "helm").list().getItems();
        assertEquals(3, secrets.size(), () -> names(secrets).toString());
        HelmReleaseDecoder decoder = new HelmReleaseDecoder();
        List<HelmRelease> releases = new ArrayList<>();
        for (Secret s : secrets) {
            JsonNode json = client.getKubernetesSerialization().convertValue(s, JsonNode.class);
            assertTrue(HelmReleaseDecoder.isReleaseSecret(json), s.getMetadata().getName());
            releases.add(decoder.decodeSecret(json));
        }
        releases.sort(Comparator.comparingInt(HelmRelease::revision));
        assertEquals(List.of(1, 2, 3), releases.stream().map(HelmRelease::revision).collect(Collectors.toList()));
        assertEquals(List.of("superseded", "superseded", "deployed"), releases.stream().map(HelmRelease::status)
                .collect(Collectors.toList()));
        for (HelmRelease r : releases) {
            assertEquals(RELEASE, r.name());
            assertEquals(ns, r.namespace());
            assertEquals("istiod", r.chartName());
            assertEquals("1.27.0", r.chartVersion());
        }
        assertEquals("100m", releases.get(1).defaults().at("/global/proxy/resources/requests/cpu").asText());
        // Real Helm, unlike hand-made fixtures: --reuse-values stores the previous revision's merged values as
        // the new revision's chart values, so "defaults" are no longer the chart's own.
        assertEquals("250m", releases.get(2).defaults().at("/global/proxy/resources/requests/cpu").asText());
        assertEquals("100m", releases.get(0).value("/global/proxy/resources/requests/cpu").asText());
        assertEquals("250m", releases.get(1).value("/global/proxy/resources/requests/cpu").asText());
        assertEquals(1, releases.get(1).value("/pilot/autoscaleMin").asInt());
        // --reuse-values carried revision 2's --set into revision 3's user values.
        HelmRelease latest = releases.get(2);
        assertEquals("250m", latest.config().at("/global/proxy/resources/requests/cpu").asText());
        assertEquals(2, latest.config().at("/pilot/autoscaleMin").asInt());
        assertEquals("128Mi", latest.value("/global/proxy/resources/requests/memory").asText(), "chart default");
        assertEquals(List.of(latest), HelmReleaseDecoder.latestDeployed(releases));
    }

    @Test
    void theLiveReaderGetsOnlyTheDeployedRevision() {
        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 500, ns).readWithDiagnostics();
        ClusterSnapshot snapshot = result.snapshot();
        List<HelmRelease> ours = snapshot.helmReleases().stream().filter(r -> ns.equals(r.namespace()))
                .collect(Collectors.toList());
        assertEquals(1, ours.size(), ours::toString);
        HelmRelease release = snapshot.helmRelease(ns, RELEASE).orElseThrow();
        assertEquals(3, release.revision());
        assertTrue(release.isDeployed());
        assertEquals("250m", release.value("/global/proxy/resources/requests/cpu").asText());
        assertEquals(2, release.value("/pilot/autoscaleMin").asInt());
    }

    @Test
    void theUpgradedValuesDriveTheEvaluation() {
        MeshPolicy sizing = E2EObjects.policy("e2e-helm-sizing", "ProxySizing", "audit", List.of(appNs),
                E2EObjects.proxySizingParameters());
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, ns).read();
        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(List.of(sizing), snapshot);

        assertEquals(1, result.findings().size(), () -> result.findings().toString());
        Finding f = result.findings().get(0);
        assertEquals("web", f.resource().name());
        assertNotNull(f.helmRelease(), f::toString);
        assertTrue(f.message().contains("global.proxy.resources of") && f.message().contains("250m"), f::message);
    }

    static List<String> names(List<Secret> secrets) {
        return secrets.stream().map(s -> s.getMetadata().getName()).collect(Collectors.toList());
    }

    /** Runs the helm binary the control plane build made, against the test API server. */
    static String helm(String... args) {
        Path state = ControlPlane.stateDir().resolve("helm");
        List<String> command = new ArrayList<>();
        command.add(ControlPlane.bin("helm").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("--kubeconfig", ControlPlane.kubeconfig().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        // Helm keeps its caches and repositories config under these; keep them out of the user's home.
        pb.environment().put("HELM_CONFIG_HOME", state.resolve("config").toString());
        pb.environment().put("HELM_CACHE_HOME", state.resolve("cache").toString());
        pb.environment().put("HELM_DATA_HOME", state.resolve("data").toString());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("helm " + String.join(" ", args) + " did not finish in 120s");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail("helm " + String.join(" ", args) + " exited " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("cannot run helm: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running helm", e);
        }
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane itself: a real API server, controllers that roll Deployments out, a scheduler that binds pods,
 * and kwok that plays the kubelet of one fake node, including the never-ready stage the halt tests rely on.
 */
class ControlPlaneE2E {
    static KubernetesClient client;
    static String ns;

    @BeforeAll
    static void connect() {
        client = ControlPlane.client();
        ns = ControlPlane.namespace(client, "e2e-smoke-" + ControlPlane.suffix(), Map.of());
    }

    @AfterAll
    static void close() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    @Test
    void isARealKubernetesApiServerWithTheSystemNamespaces() {
        VersionInfo version = client.getKubernetesVersion();
        assertEquals("1", version.getMajor());
        assertTrue(Integer.parseInt(version.getMinor().replaceAll("[^0-9]", "")) >= 34, version.getGitVersion());
        // Stamped by the build as Kubernetes' release build does; helm reads it for .Capabilities.KubeVersion.
        assertTrue(version.getGitVersion().matches("v1\\.\\d+\\.\\d+"), version.getGitVersion());

        List<String> names = client.namespaces().list().getItems().stream().map(n -> n.getMetadata().getName())
                .collect(Collectors.toList());
        assertTrue(names.containsAll(List.of("default", "kube-system", "kube-public", "kube-node-lease", ns)),
                names::toString);
        Namespace created = client.namespaces().withName(ns).get();
        assertEquals("Active", created.getStatus().getPhase());
    }

    @Test
    void theFakeNodeIsReady() {
        Node node = client.nodes().withName(ControlPlane.NODE).get();
        assertTrue(node.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())), () -> node.toString());
    }

    @Test
    void aDeploymentRollsOutOnTheFakeNode() {
        client.resource(E2EObjects.deployment(ns, "hello", 2, Map.of())).create();

        ControlPlane.await("Deployment hello available", () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("hello").get();
            return d.getStatus() != null && Integer.valueOf(2).equals(d.getStatus().getAvailableReplicas());
        });
        List<Pod> pods = client.pods().inNamespace(ns).withLabel("app", "hello").list().getItems();
        assertEquals(2, pods.size());
        for (Pod p : pods) {
            assertEquals(ControlPlane.NODE, p.getSpec().getNodeName(), "bound by the scheduler");
            assertEquals("Running", p.getStatus().getPhase());
            assertTrue(ready(p), () -> p.getStatus().toString());
        }
    }

    @Test
    void podsWithTheNeverReadyLabelRunButNeverBecomeReady() throws InterruptedException {
        client.resource(E2EObjects.deployment(ns, "stuck", 1, Map.of(ControlPlane.NEVER_READY_LABEL, "true")))
                .create();

        ControlPlane.await("a running pod of stuck", () -> client.pods().inNamespace(ns).withLabel("app", "stuck")
                .list().getItems().stream().anyMatch(p -> "Running".equals(p.getStatus().getPhase())));
        Thread.sleep(Duration.ofSeconds(3).toMillis());
        Pod pod = client.pods().inNamespace(ns).withLabel("app", "stuck").list().getItems().get(0);
        assertEquals("Running", pod.getStatus().getPhase());
        assertTrue(!ready(pod), () -> pod.getStatus().toString());
        Deployment d = client.apps().deployments().inNamespace(ns).withName("stuck").get();
        assertTrue(d.getStatus().getAvailableReplicas() == null || d.getStatus().getAvailableReplicas() == 0,
                () -> d.getStatus().toString());
    }

    static boolean ready(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition c : p.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kustomization under k8s/ renders (kubectl kustomize) to objects a real API server accepts: a server-side
 * dry-run apply with strict field validation, the check {@code kubectl apply --server-side --dry-run=server} makes.
 * Namespaces and CRDs are applied for real first, since the other objects can only be judged once they exist.
 */
class KustomizeDryRunE2E {
    static final String MANAGER = "meshwarden-e2e";
    static KubernetesClient client;
    static final Set<String> namespaces = new LinkedHashSet<>();

    @BeforeAll
    static void connect() {
        client = ControlPlane.client();
        // The monitoring overlay's ServiceMonitor is judged by prometheus-operator's own CRD, not a stand-in.
        MonitoringObjectsE2E.installPrometheusOperatorCrds(client);
        // Istio's namespace is a prerequisite, not part of k8s/: the Roles to read istiod's mesh config live there.
        if (client.namespaces().withName("istio-system").get() == null) {
            ControlPlane.namespace(client, "istio-system", java.util.Map.of());
            namespaces.add("istio-system");
        }
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, namespaces.toArray(new String[0]));
            client.close();
        }
    }

    @ParameterizedTest(name = "k8s/{0}")
    @ValueSource(strings = {"base", "overlays/audit-only", "overlays/enforce", "overlays/monitoring",
            "overlays/enforce-patch-owners", "overlays/native"})
    void dryRunAppliesCleanly(String dir) {
        List<HasMetadata> items = client.load(new ByteArrayInputStream(kustomize(dir).getBytes(
                StandardCharsets.UTF_8))).items();
        assertTrue(items.size() > 5, () -> dir + " rendered only " + items.size() + " objects");

        for (HasMetadata item : items) {
            if (item instanceof Namespace) {
                namespaces.add(item.getMetadata().getName());
                client.resource(item).fieldManager(MANAGER).forceConflicts().serverSideApply();
            } else if (item instanceof CustomResourceDefinition) {
                ControlPlane.installCrds(client, client.getKubernetesSerialization().asYaml(item));
            }
        }
        List<String> refused = new ArrayList<>();
        for (HasMetadata item : items) {
            if (item instanceof Namespace || item instanceof CustomResourceDefinition) {
                continue;
            }
            try {
                client.resource(item).dryRun().fieldValidation(Validation.STRICT).fieldManager(MANAGER)
                        .forceConflicts().serverSideApply();
            } catch (KubernetesClientException e) {
                refused.add(item.getKind() + " " + item.getMetadata().getName() + ": " + (e.getStatus() != null
                        ? e.getStatus().getMessage() : e.getMessage()));
            }
        }
        assertEquals(List.of(), refused, "k8s/" + dir + " objects the server refused");
        assertNull(client.apps().deployments().inNamespace("meshwarden-system").withName("meshwarden").get(),
                "a dry run persists nothing");
    }

    static String kustomize(String dir) {
        try {
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process p = new ProcessBuilder(ControlPlane.kubectl(), "kustomize", "k8s/" + dir)
                        .redirectError(err.toFile()).start();
                p.getOutputStream().close();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("kubectl kustomize k8s/" + dir + " did not finish in 120s");
                }
                if (p.exitValue() != 0) {
                    fail("kubectl kustomize k8s/" + dir + " exited " + p.exitValue() + ": " + Files.readString(err));
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run kubectl kustomize k8s/" + dir + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

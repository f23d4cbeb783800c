package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.store.KubernetesPolicyStore;
import io.meshwarden.store.PolicyStore;
import io.meshwarden.store.StoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KubernetesPolicyStore on a real API server with the MeshPolicy CRD of k8s/base: resourceVersions and their
 * preconditions as etcd hands them out, a real watch feeding the informer, and the status subresource.
 */
class KubernetesPolicyStoreE2E {
    static KubernetesClient client;
    static KubernetesPolicyStore store;
    static String suffix;

    @BeforeAll
    static void start() throws IOException {
        client = ControlPlane.client();
        ControlPlane.installCrds(client, Files.readString(MeshPolicyCrdE2E.CRD));
        suffix = ControlPlane.suffix();
        store = new KubernetesPolicyStore(client);
        store.load();
        ControlPlane.await("the MeshPolicy informer's first list", store::ready);
    }

    @AfterAll
    static void stop() {
        if (store != null) {
            store.close();
        }
        if (client != null) {
            policies()
                    .withLabel("e2e.meshwarden.io/suffix", suffix).delete();
            client.close();
        }
    }

    @Test
    void aCreatedPolicyIsAResourceVersionedByTheServer() {
        MeshPolicy created = store.create(policy("created", "maxPercent: 2.0"));

        GenericKubernetesResource live = resource("created");
        assertEquals("TraceSampling", live.get("spec", "type"));
        assertEquals(live.getMetadata().getResourceVersion(), created.metadata().resourceVersion());
        assertEquals(1L, created.metadata().generation());
        assertEquals(created, store.get(created.name()).orElseThrow(), "reads its own write at once");
        assertThrows(StoreException.AlreadyExists.class, () -> store.create(policy("created", "maxPercent: 2.0")));
    }

    @Test
    void policiesAppliedByAnotherClientComeAndGoThroughTheWatch() {
        String name = name("gitops");
        // As Argo CD or Flux would: straight to the API server, not through Meshwarden.
        client.resource(resourceOf(policy("gitops", "maxPercent: 3.0"))).create();
        ControlPlane.await("the informer to add " + name, () -> store.get(name).isPresent());

        policies().withName(name).patch(
                new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE).build(),
                "{\"spec\":{\"mode\":\"enforce\"}}");
        ControlPlane.await("the informer to see the edit", () -> "ENFORCE".equals(store.get(name).orElseThrow()
                .spec().mode().name()));
        assertEquals(2L, store.get(name).orElseThrow().metadata().generation());

        policies().withName(name).delete();
        ControlPlane.await("the informer to drop " + name, () -> store.get(name).isEmpty());
    }

    @Test
    void aStaleVersionIsRefusedAndANoOpKeepsTheVersion() {
        MeshPolicy v1 = store.create(policy("versions", "maxPercent: 1.0"));
        MeshPolicy v2 = store.update(policy("versions", "maxPercent: 5.0"), v1.metadata().resourceVersion(), true);
        assertTrue(Long.parseLong(v2.metadata().resourceVersion()) > Long.parseLong(v1.metadata()
                .resourceVersion()));

        StoreException.Conflict stale = assertThrows(StoreException.Conflict.class,
                () -> store.update(policy("versions", "maxPercent: 9.0"), v1.metadata().resourceVersion(), true));
        assertEquals(v2.metadata().resourceVersion(), stale.current());
        assertEquals(5.0, ((Number) ((Map<?, ?>) resource("versions").get("spec", "parameters")).get("maxPercent"))
                .doubleValue());

        MeshPolicy same = store.update(policy("versions", "maxPercent: 5.0"), null, false);
        assertEquals(v2.metadata().resourceVersion(), same.metadata().resourceVersion(), "nothing written");

        assertThrows(StoreException.Conflict.class, () -> store.delete(v1.name(), v1.metadata().resourceVersion(),
                true));
        store.delete(v2.name(), v2.metadata().resourceVersion(), true);
        assertEquals(null, policies()
                .withName(v2.name()).get());
    }

    @Test
    void whatTheSchemaCannotCheckIsReportedAsALoadError() {
        // The CRD leaves "limits >= requests" to the service: the server stores it, the store refuses to serve it.
        String name = name("limits");
        client.resource(resourceOf("type: ProxySizing\n  parameters: {requests: {cpu: 500m, memory: 128Mi}, "
                + "limits: {cpu: 100m, memory: 256Mi}}", "limits")).create();
        ControlPlane.await("a load error for " + name, () -> store.loadErrors().stream()
                .anyMatch(e -> e.file().equals(name)));

        PolicyStore.LoadError error = store.loadErrors().stream().filter(e -> e.file().equals(name)).findFirst()
                .orElseThrow();
        assertTrue(error.reason().contains("/spec/parameters/limits/cpu"), error::reason);
        assertTrue(store.get(name).isEmpty());
        // kubectl, Argo CD and Flux see it too: Valid=False with the field path and message.
        ControlPlane.await("Valid=False on " + name, () -> "False".equals(validCondition("limits").get("status")));
        Map<String, Object> valid = validCondition("limits");
        assertEquals("InvalidPolicy", valid.get("reason"));
        assertTrue(String.valueOf(valid.get("message")).contains("/spec/parameters/limits/cpu"), valid::toString);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> validCondition(String base) {
        Object conditions = resource(base).get("status", "conditions");
        if (conditions instanceof List<?> list) {
            for (Object c : list) {
                if ("Valid".equals(((Map<String, Object>) c).get("type"))) {
                    return (Map<String, Object>) c;
                }
            }
        }
        return Map.of();
    }

    @Test
    void findingsLandInTheStatusSubresource() {
        MeshPolicy p = store.create(policy("status", "maxPercent: 1.0"));

        store.recordEvaluation(Map.of(p.name(), 3), Instant.parse("2026-11-24T12:00:00Z"));
        ControlPlane.await("status written", () -> resource("status").get("status") != null);
        GenericKubernetesResource live = resource("status");
        assertEquals(3, ((Number) live.get("status", "findings")).intValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> condition = ((List<Map<String, Object>>) live.get("status", "conditions")).get(0);
        assertEquals("Compliant", condition.get("type"));
        assertEquals("False", condition.get("status"));
        assertEquals("2026-11-24T12:00:00Z", condition.get("lastTransitionTime"));
        assertEquals(1L, live.getMetadata().getGeneration(), "a status write is no spec change");

        ControlPlane.await("the informer to hold the written status", () -> {
            String before = resource("status").getMetadata().getResourceVersion();
            store.recordEvaluation(Map.of(p.name(), 3), Instant.parse("2026-11-24T12:05:00Z"));
            return before.equals(resource("status").getMetadata().getResourceVersion());
        });
        store.recordEvaluation(Map.of(p.name(), 0), Instant.parse("2026-11-24T12:10:00Z"));
        ControlPlane.await("compliant", () -> Integer.valueOf(0).equals(resource("status").get("status",
                "findings")));
    }

    static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> policies() {
        return client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES);
    }

    static String name(String base) {
        return "e2e-store-" + base + "-" + suffix;
    }

    static MeshPolicy policy(String base, String parameters) {
        return PolicyTypes.CODEC.read(Documents.parseOne(document("type: TraceSampling\n  parameters: {" + parameters
                + "}", base).getBytes(StandardCharsets.UTF_8), true));
    }

    static String document(String spec, String base) {
        return "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata:\n  name: " + name(base)
                + "\n  labels: {e2e.meshwarden.io/suffix: \"" + suffix + "\"}\nspec:\n  " + spec + "\n";
    }

    static GenericKubernetesResource resourceOf(MeshPolicy policy) {
        return (GenericKubernetesResource) client.load(new ByteArrayInputStream(PolicyCodec.write(policy).toString()
                .getBytes(StandardCharsets.UTF_8))).items().get(0);
    }

    static GenericKubernetesResource resourceOf(String spec, String base) {
        return (GenericKubernetesResource) client.load(new ByteArrayInputStream(document(spec, base)
                .getBytes(StandardCharsets.UTF_8))).items().get(0);
    }

    static GenericKubernetesResource resource(String base) {
        return policies().withName(name(base)).get();
    }
}

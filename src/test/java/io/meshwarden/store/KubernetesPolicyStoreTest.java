package io.meshwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.Await;
import io.meshwarden.testing.FaultInjectingDispatcher;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The MeshPolicy store against the fabric8 mock API server in CRUD mode (it keeps objects and serves watches). */
class KubernetesPolicyStoreTest {
    private FaultInjectingDispatcher faults;
    private KubernetesMockServer server;
    private KubernetesClient client;
    private KubernetesPolicyStore store;

    @BeforeEach
    void start() {
        faults = new FaultInjectingDispatcher(new KubernetesCrudDispatcher());
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
        server.init();
        // fabric8's own retry stays on (its default): the store's writes must not go through it.
        client = server.createClient();
        store = new KubernetesPolicyStore(client);
        store.load();
        Await.until("informer synced", store::ready);
    }

    @AfterEach
    void stop() {
        store.close();
        client.close();
        server.destroy();
    }

    private GenericKubernetesResource onServer(String name) {
        return client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).withName(name).get();
    }

    private JsonNode specOnServer(String name) {
        return client.getKubernetesSerialization().convertValue(onServer(name).getAdditionalProperties()
                .get("spec"), JsonNode.class);
    }

    private void external(String yaml) {
        client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).resource(
                client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class)).create();
    }

    @Test
    void createWritesAResourceAndServesItWithTheServersVersion() {
        MeshPolicy created = store.create(TestPolicies.tracing("sampling", "2"));
        GenericKubernetesResource r = onServer("sampling");
        assertEquals(r.getMetadata().getResourceVersion(), created.metadata().resourceVersion());
        assertEquals("TraceSampling", specOnServer("sampling").path("type").asText());
        assertEquals(created, store.get("sampling").orElseThrow(), "a client reads its own write at once");
        assertThrows(StoreException.AlreadyExists.class, () -> store.create(TestPolicies.tracing("sampling", "3")));
    }

    @Test
    void staleVersionsAreRefusedAndCurrentOnesWrite() {
        MeshPolicy v1 = store.create(TestPolicies.tracing("ha", "2"));
        MeshPolicy v2 = store.update(TestPolicies.tracing("ha", "3"), v1.metadata().resourceVersion(), true);
        assertNotEquals(v1.metadata().resourceVersion(), v2.metadata().resourceVersion());
        assertEquals(v2.metadata().resourceVersion(), onServer("ha").getMetadata().getResourceVersion());

        StoreException.Conflict stale = assertThrows(StoreException.Conflict.class,
                () -> store.update(TestPolicies.tracing("ha", "4"), v1.metadata().resourceVersion(), true));
        assertTrue(stale.viaIfMatch());
        assertEquals(v2.metadata().resourceVersion(), stale.current());
        assertThrows(StoreException.Conflict.class,
                () -> store.delete("ha", v1.metadata().resourceVersion(), false));
        assertEquals(3, specOnServer("ha").at("/parameters/maxPercent").asInt(), "the refused writes changed nothing");

        // No version given: the write goes on top of whatever is current.
        MeshPolicy v3 = store.update(TestPolicies.tracing("ha", "5"), null, false);
        assertEquals(5, specOnServer("ha").at("/parameters/maxPercent").asInt());

        int before = server.getRequestCount();
        MeshPolicy same = store.update(TestPolicies.tracing("ha", "5"), v3.metadata().resourceVersion(), false);
        assertEquals(v3.metadata().resourceVersion(), same.metadata().resourceVersion(),
                "an unchanged write is a no-op");
        assertEquals(1, server.getRequestCount() - before, "only the read that checks the version");

        store.delete("ha", v3.metadata().resourceVersion(), true);
        assertNull(onServer("ha"));
        assertTrue(store.get("ha").isEmpty());
        assertThrows(StoreException.NotFound.class, () -> store.delete("ha", null, false));
        assertThrows(StoreException.NotFound.class, () -> store.update(TestPolicies.tracing("ha", "2"), null, false));
    }

    @Test
    void aWriteTheServerFailsIsReportedAndNotResent() {
        String path = "/apis/meshwarden.io/v1alpha1/meshpolicies";
        faults.on("POST", path, FaultInjectingDispatcher.Fault.status(500));
        StoreException.Unavailable e = assertThrows(StoreException.Unavailable.class,
                () -> store.create(TestPolicies.tracing("sampling", "1")));
        assertTrue(e.getMessage().contains("500"), e.getMessage());
        assertEquals(1, faults.received("POST", path), "a create whose answer failed is not sent again");

        faults.on("POST", path, FaultInjectingDispatcher.Fault.status(422));
        StoreException.Rejected rejected = assertThrows(StoreException.Rejected.class,
                () -> store.create(TestPolicies.tracing("sampling", "1")));
        assertTrue(rejected.getMessage().contains("refused policy 'sampling'"), rejected.getMessage());
        assertNull(onServer("sampling"));
        assertNotEquals(null, store.create(TestPolicies.tracing("sampling", "1")), "the next write goes through");
    }

    @Test
    void policiesAppliedByOthersAppearChangeAndGoWithoutARestart() {
        // What Argo CD or `kubectl apply` does: write the resource directly.
        external("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata:
                  name: no-sidecars-in-jobs
                  labels: {team: platform}
                spec:
                  type: InjectionExclusion
                  mode: enforce
                """);
        Await.until("external create seen", () -> store.get("no-sidecars-in-jobs").isPresent());
        MeshPolicy seen = store.get("no-sidecars-in-jobs").orElseThrow();
        assertEquals("enforce", seen.spec().mode().wire());
        assertEquals(Map.of("team", "platform"), seen.metadata().labels());
        assertEquals(onServer("no-sidecars-in-jobs").getMetadata().getResourceVersion(),
                seen.metadata().resourceVersion());

        client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).withName("no-sidecars-in-jobs")
                .edit(r -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
                    spec.put("mode", "audit");
                    return r;
                });
        Await.until("external update seen",
                () -> "audit".equals(store.get("no-sidecars-in-jobs").orElseThrow().spec().mode().wire()));

        client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).withName("no-sidecars-in-jobs")
                .delete();
        Await.until("external delete seen", () -> store.get("no-sidecars-in-jobs").isEmpty());
    }

    @Test
    void aResourceThatIsNotAValidPolicyIsReportedAndNotServed() {
        // The CRD schema would stop this at a real server; the service must not trust that it was installed.
        external("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata:
                  name: sizing-without-requests
                spec:
                  type: ProxySizing
                  mode: sometimes
                """);
        Await.until("error recorded", () -> !store.loadErrors().isEmpty());
        PolicyStore.LoadError error = store.loadErrors().get(0);
        assertEquals("sizing-without-requests", error.file());
        assertTrue(error.reason().contains("/spec/mode"), error.reason());
        assertTrue(store.get("sizing-without-requests").isEmpty());
        assertFalse(store.list().stream().anyMatch(p -> p.name().equals("sizing-without-requests")));
        // Deleting it through the store is how it gets cleaned up.
        assertNull(store.delete("sizing-without-requests", null, false));
        Await.until("error cleared", () -> store.loadErrors().isEmpty());
    }

    @Test
    void statusCarriesTheLastFindingsAndIsOnlyWrittenWhenTheyChange() {
        MeshPolicy p = store.create(TestPolicies.tracing("ha", "2"));
        Instant first = Instant.parse("2026-11-24T10:00:00Z");
        store.recordEvaluation(Map.of("ha", 3), first);
        Await.until("status seen", () -> store.get("ha").isPresent() && statusOf("ha").path("findings").asInt(-1) == 3);
        JsonNode status = statusOf("ha");
        assertEquals(p.metadata().generation(), status.path("observedGeneration").asLong());
        JsonNode compliant = status.path("conditions").get(0);
        assertEquals("Compliant", compliant.path("type").asText());
        assertEquals("False", compliant.path("status").asText());
        assertEquals("FindingsPresent", compliant.path("reason").asText());
        assertEquals("2026-11-24T10:00:00Z", compliant.path("lastTransitionTime").asText());
        assertEquals(2, specOnServer("ha").at("/parameters/maxPercent").asInt(), "the spec is untouched");
        Await.until("cache has the status", () -> store.get("ha").orElseThrow().metadata().resourceVersion()
                .equals(onServer("ha").getMetadata().getResourceVersion()));

        int before = server.getRequestCount();
        store.recordEvaluation(Map.of("ha", 3), first.plusSeconds(300));
        assertEquals(before, server.getRequestCount(), "unchanged findings: no write");

        store.recordEvaluation(Map.of("ha", 0, "unknown-policy", 1), first.plusSeconds(600));
        Await.until("compliant", () -> statusOf("ha").path("findings").asInt(-1) == 0);
        compliant = statusOf("ha").path("conditions").get(0);
        assertEquals("True", compliant.path("status").asText());
        assertEquals("2026-11-24T10:10:00Z", compliant.path("lastTransitionTime").asText());
        assertNull(onServer("unknown-policy"), "no status is written for a policy the store does not hold");
    }

    @Test
    void anInvalidResourceGetsValidFalseWithTheFieldAndMessageAndAValidOneValidTrue() {
        // Passes the CRD's schema (a real server lets it through) but not the service: limits below requests.
        external("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata:
                  name: sizing-limits-below-requests
                spec:
                  type: ProxySizing
                  parameters:
                    requests: {cpu: 500m, memory: 256Mi}
                    limits: {cpu: 100m, memory: 128Mi}
                """);
        Await.until("Valid=False written", () -> "False".equals(condition("sizing-limits-below-requests", "Valid")
                .path("status").asText()));
        JsonNode valid = condition("sizing-limits-below-requests", "Valid");
        assertEquals("InvalidPolicy", valid.path("reason").asText());
        String reason = store.loadErrors().get(0).reason();
        assertEquals(reason, valid.path("message").asText(), "the reason GET /api/v1/sources shows");
        assertTrue(reason.contains("limits"), reason);
        assertEquals("Unknown", condition("sizing-limits-below-requests", "Compliant").path("status").asText());
        assertEquals(1, statusOf("sizing-limits-below-requests").path("observedGeneration").asLong());
        String statusPath = "/apis/meshwarden.io/v1alpha1/meshpolicies/sizing-limits-below-requests/status";
        assertEquals(1, faults.received("PUT", statusPath));
        client.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).withName("sizing-limits-below-requests")
                .edit(r -> {
                    r.getMetadata().setLabels(Map.of("team", "platform"));
                    return r;
                });
        Await.until("label seen", () -> store.loadErrors().size() == 1 && "platform".equals(onServer(
                "sizing-limits-below-requests").getMetadata().getLabels().get("team")));
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertEquals(1, faults.received("PUT", statusPath), "the same error again: no status write");

        MeshPolicy p = store.create(TestPolicies.tracing("ok", "2"));
        store.recordEvaluation(Map.of("ok", 0), Instant.parse("2026-11-24T10:00:00Z"));
        Await.until("Valid=True", () -> "True".equals(condition("ok", "Valid").path("status").asText()));
        assertEquals("Accepted", condition("ok", "Valid").path("reason").asText());
        assertEquals("True", condition("ok", "Compliant").path("status").asText());
        assertEquals(p.metadata().generation(), condition("ok", "Valid").path("observedGeneration").asLong());
    }

    private JsonNode condition(String name, String type) {
        for (JsonNode c : statusOf(name).path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private JsonNode statusOf(String name) {
        Object status = onServer(name).getAdditionalProperties().get("status");
        return client.getKubernetesSerialization().convertValue(status == null ? Map.of() : status, JsonNode.class);
    }
}

package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.store.KubernetesPolicyStore;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.Response;
import io.meshwarden.testing.Await;
import io.meshwarden.testing.Workloads;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The REST API with meshwarden.store.type=kubernetes: policies are MeshPolicy resources in the API server. */
@QuarkusTest
@TestProfile(KubernetesStoreProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class KubernetesStoreApiTest {
    static {
        YamlBodies.install();
    }


    @KubernetesTestServer
    KubernetesServer server;

    private GenericKubernetesResource resource(String name) {
        return server.getClient().genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).withName(name)
                .get();
    }

    private JsonNode part(String name, String part) {
        Object value = resource(name).getAdditionalProperties().get(part);
        return server.getClient().getKubernetesSerialization().convertValue(value == null ? Map.of() : value,
                JsonNode.class);
    }

    private static String policy(String name, int maxPercent) {
        return """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: %s}
                spec: {type: TraceSampling, parameters: {maxPercent: %d}}
                """.formatted(name, maxPercent);
    }

    @Test
    void apiWritesAreResourcesAndTheServersVersionIsTheEtag() {
        Response created = given().contentType("application/yaml").body(policy("k-sampling", 2))
                .post("/api/v1/policies");
        created.then().statusCode(201);
        String rv = created.path("metadata.resourceVersion");
        assertEquals(resource("k-sampling").getMetadata().getResourceVersion(), rv);
        assertEquals(2, part("k-sampling", "spec").at("/parameters/maxPercent").asInt());
        given().get("/api/v1/policies/k-sampling").then().statusCode(200).header("ETag", "\"" + rv + "\"");

        given().contentType("application/yaml").header("If-Match", "\"1\"").body(policy("k-sampling", 3))
                .put("/api/v1/policies/k-sampling").then().statusCode(412);
        Response updated = given().contentType("application/yaml").header("If-Match", "\"" + rv + "\"")
                .body(policy("k-sampling", 3)).put("/api/v1/policies/k-sampling");
        updated.then().statusCode(200).body("spec.parameters.maxPercent", equalTo(3));
        String rv2 = updated.path("metadata.resourceVersion");
        assertEquals(resource("k-sampling").getMetadata().getResourceVersion(), rv2);
        given().contentType("application/yaml").body(policy("k-sampling", 4).replace("name: k-sampling",
                "name: k-sampling, resourceVersion: \"" + rv + "\"")).put("/api/v1/policies/k-sampling")
                .then().statusCode(409).body("violations[0].field", equalTo("/metadata/resourceVersion"));
        given().contentType("application/yaml").body(policy("k-sampling", 9)).post("/api/v1/policies")
                .then().statusCode(409);

        given().header("If-Match", "\"" + rv + "\"").delete("/api/v1/policies/k-sampling").then().statusCode(412);
        given().header("If-Match", "\"" + rv2 + "\"").delete("/api/v1/policies/k-sampling").then().statusCode(204);
        assertNull(resource("k-sampling"));
        given().get("/api/v1/policies/k-sampling").then().statusCode(404);
    }

    @Test
    void aPolicyAppliedByGitOpsToolsIsServedWithoutARestart() {
        given().get("/api/v1/sources").then().statusCode(200).body("store.type", equalTo("kubernetes"))
                .body("store.ready", equalTo(true));
        given().get("/api/v1/policies").then().body("items.metadata.name", not(hasItem("argo-applied")));
        KubernetesClient k = server.getClient();
        k.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES).resource(k.getKubernetesSerialization()
                .unmarshal(policy("argo-applied", 5), GenericKubernetesResource.class)).create();
        Await.until("served", () -> given().get("/api/v1/policies/argo-applied").statusCode() == 200);
        given().get("/api/v1/policies").then().body("items.metadata.name", hasItem("argo-applied"));
    }

    @Test
    void anAuditWritesEachPolicysFindingsIntoItsStatus() {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("kstore-batch")
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        k.batch().v1().cronjobs().inNamespace("kstore-batch").resource(Workloads.nightlyCronJob("kstore-batch")).create();
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: kstore-jobs}
                spec:
                  type: InjectionExclusion
                  target: {namespaces: {include: [kstore-batch]}}
                """).post("/api/v1/policies").then().statusCode(201);

        given().post("/api/v1/audits").then().statusCode(200);
        Await.until("status written", () -> part("kstore-jobs", "status").path("findings").asInt(-1) > 0);
        JsonNode status = part("kstore-jobs", "status");
        assertEquals(1, status.path("observedGeneration").asLong());
        JsonNode compliant = status.path("conditions").get(0);
        assertEquals("Compliant", compliant.path("type").asText());
        assertEquals("False", compliant.path("status").asText());
        assertTrue(compliant.path("message").asText().contains("finding"), compliant.toString());
        given().get("/api/v1/reports/latest/policies/kstore-jobs").then().statusCode(200);
    }
}

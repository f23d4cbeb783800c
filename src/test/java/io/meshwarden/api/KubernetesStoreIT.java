package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

/**
 * The MeshPolicy store in the packaged application (the native executable with -Dnative): generic resources,
 * the informer and the status write go through Jackson and fabric8 paths that a native image must have registered.
 */
@QuarkusIntegrationTest
@TestProfile(KubernetesStoreProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class KubernetesStoreIT {
    static {
        YamlBodies.install();
    }

    private static final ResourceDefinitionContext MESH_POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup("meshwarden.io").withVersion("v1alpha1").withKind("MeshPolicy").withPlural("meshpolicies")
            .withNamespaced(false).build();

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void packagedAppKeepsPoliciesAsResources() throws InterruptedException {
        String rv = given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: it-sampling}
                spec: {type: TraceSampling, parameters: {maxPercent: 1}}
                """).post("/api/v1/policies").then().statusCode(201).extract().path("metadata.resourceVersion");
        KubernetesClient k = server.getClient();
        assertEquals(rv, k.genericKubernetesResources(MESH_POLICIES).withName("it-sampling").get().getMetadata()
                .getResourceVersion());

        k.genericKubernetesResources(MESH_POLICIES).resource(k.getKubernetesSerialization().unmarshal("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: it-applied}
                spec: {type: InjectionExclusion}
                """, GenericKubernetesResource.class)).create();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (given().get("/api/v1/policies/it-applied").statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                fail("the externally applied policy was not served");
            }
            Thread.sleep(50);
        }
        given().post("/api/v1/audits").then().statusCode(200);
        while (k.genericKubernetesResources(MESH_POLICIES).withName("it-sampling").get().getAdditionalProperties()
                .get("status") == null) {
            if (System.nanoTime() > deadline) {
                fail("no status was written after the audit");
            }
            Thread.sleep(50);
        }
        given().get("/api/v1/sources").then().statusCode(200).body("store.type", equalTo("kubernetes"));
        given().header("If-Match", "\"" + rv + "\"").delete("/api/v1/policies/it-sampling").then().statusCode(412);
    }
}

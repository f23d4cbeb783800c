package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.store.KubernetesPolicyStore;
import io.meshwarden.testing.Await;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MeshPolicy store in the packaged application (the native executable with -Dnative): generic resources,
 * the informer and the status write go through Jackson and fabric8 paths that a native image must have registered.
 */
@QuarkusIntegrationTest
@TestProfile(KubernetesStoreProfile.class)
@WithTestResource(TestDirs.class)
@WithTestResource(GeneratedAdminToken.class)
@WithKubernetesTestServer(crud = true)
class KubernetesStoreIT {
    static {
        YamlBodies.install();
    }


    @KubernetesTestServer
    KubernetesServer server;

    @BeforeEach
    void token() throws IOException {
        GeneratedAdminToken.authorizeRequests();
    }

    @AfterEach
    void forgetToken() {
        GeneratedAdminToken.forget();
    }

    @Test
    void packagedAppKeepsPoliciesAsResources() {
        String rv = given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: it-sampling}
                spec: {type: TraceSampling, parameters: {maxPercent: 1}}
                """).post("/api/v1/policies").then().statusCode(201).extract().path("metadata.resourceVersion");
        KubernetesClient k = server.getClient();
        var policies = k.genericKubernetesResources(KubernetesPolicyStore.MESH_POLICIES);
        assertEquals(rv, policies.withName("it-sampling").get().getMetadata().getResourceVersion());

        policies.resource(k.getKubernetesSerialization().unmarshal("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: it-applied}
                spec: {type: InjectionExclusion}
                """, GenericKubernetesResource.class)).create();
        Await.until("the externally applied policy served",
                () -> given().get("/api/v1/policies/it-applied").statusCode() == 200);
        given().post("/api/v1/audits").then().statusCode(200);
        Await.until("status written after the audit", () -> policies.withName("it-sampling").get()
                .getAdditionalProperties().get("status") != null);
        given().get("/api/v1/sources").then().statusCode(200).body("store.type", equalTo("kubernetes"));
        given().header("If-Match", "\"" + rv + "\"").delete("/api/v1/policies/it-sampling").then().statusCode(412);
    }
}

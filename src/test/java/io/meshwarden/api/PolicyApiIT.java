package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import org.junit.jupiter.api.Test;

/** Runs against the packaged application (the JVM jar here, the native executable with -Dnative). */
@QuarkusIntegrationTest
@WithTestResource(TestDirs.class)
class PolicyApiIT {
    static {
        YamlBodies.install();
    }


    @Test
    void packagedAppServesThePolicyLifecycle() {
        String body = PolicyApiTest.json("it-trace", "TraceSampling", "enforce", "{\"maxPercent\":0.5}");
        String rv = PolicyApiTest.create(body).then().statusCode(201).extract().path("metadata.resourceVersion");
        given().accept("application/yaml").get("/api/v1/policies/it-trace").then().statusCode(200)
                .header("ETag", "\"" + rv + "\"");
        given().contentType("application/json").body("{\"apiVersion\":1}").post("/api/v1/policies").then()
                .statusCode(422).contentType("application/problem+json");
        given().header("If-Match", "\"" + rv + "\"").delete("/api/v1/policies/it-trace").then().statusCode(204);
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/openapi").then().statusCode(200);
    }
}

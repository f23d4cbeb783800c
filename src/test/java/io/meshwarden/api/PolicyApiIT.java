package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs against the packaged application (the JVM jar here, the native executable with -Dnative). */
@QuarkusIntegrationTest
@WithTestResource(TestDirs.class)
@WithTestResource(GeneratedAdminToken.class)
class PolicyApiIT {
    static {
        YamlBodies.install();
    }

    @AfterEach
    void forgetToken() {
        GeneratedAdminToken.forget();
    }

    @Test
    void packagedAppServesThePolicyLifecycle() throws Exception {
        // Secure by default: the API wants the generated admin token, which only the file's owner can read.
        given().get("/api/v1/policies").then().statusCode(401).header("WWW-Authenticate",
                "Bearer realm=\"meshwarden\"");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                GeneratedAdminToken.file())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                GeneratedAdminToken.file().getParent())));
        GeneratedAdminToken.authorizeRequests();

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

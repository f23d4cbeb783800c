package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(TestDirs.class)
class GitOpsApiTest {
    static {
        YamlBodies.install();
    }


    static String policy(String name, String maxPercent) {
        return """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: %s, labels: {from: git}}
                spec: {type: TraceSampling, mode: enforce, parameters: {maxPercent: %s}}
                """.formatted(name, maxPercent);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    static int status(String name) {
        return given().get("/api/v1/policies/" + name).statusCode();
    }

    static String maxPercent(String name) {
        Object v = given().get("/api/v1/policies/" + name).path("spec.parameters.maxPercent");
        return String.valueOf(v);
    }

    @Test
    void gitopsPoliciesAreReadOnlyAndReloaded() throws Exception {
        Path file = TestDirs.gitopsDir().resolve("team-a/tracing.yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, policy("git-trace", "1") + "---\n" + policy("git-trace-2", "2"));
        await("git policies to load", () -> status("git-trace") == 200 && status("git-trace-2") == 200);
        given().get("/api/v1/policies/git-trace").then().body("status.source", equalTo("gitops"))
                .body("status.file", equalTo("team-a/tracing.yaml"));
        given().queryParam("source", "gitops").get("/api/v1/policies").then()
                .body("items.metadata.name", hasItem("git-trace-2"));

        given().contentType("application/yaml").body(policy("git-trace", "3")).put("/api/v1/policies/git-trace")
                .then().statusCode(409).body("detail", containsString("team-a/tracing.yaml"));
        given().delete("/api/v1/policies/git-trace").then().statusCode(409)
                .body("type", containsString("managed-by-gitops"));
        given().contentType("application/yaml").body(policy("git-trace-2", "3")).post("/api/v1/policies")
                .then().statusCode(409).body("detail", containsString("team-a/tracing.yaml"));

        // Edit in git: reloaded within seconds.
        Files.writeString(file, policy("git-trace", "0.5") + "---\n" + policy("git-trace-2", "2"));
        await("edit to reload", () -> maxPercent("git-trace").equals("0.5"));

        // Broken edit: last-known-good stays, the error is shown with file, line and reason, and counted.
        Files.writeString(file, policy("git-trace", "0.25") + "---\nspec: [broken\n");
        await("error to be reported", () -> {
            List<Map<String, Object>> files = given().get("/api/v1/sources").path("gitops.files");
            return files.stream().anyMatch(f -> "team-a/tracing.yaml".equals(f.get("file")) && f.get("error") != null);
        });
        assertTrue(maxPercent("git-trace").equals("0.5"), "last-known-good content must stay active");
        given().get("/api/v1/policies/git-trace-2").then().statusCode(200);
        given().get("/api/v1/sources").then().statusCode(200)
                .body("gitops.files.find { it.file == 'team-a/tracing.yaml' }.error.line", equalTo(6));
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("meshwarden_gitops_load_errors 1.0"), "error gauge");

        // Deleting the file removes its policies.
        Files.delete(file);
        await("deletion", () -> status("git-trace") == 404 && status("git-trace-2") == 404);
        assertTrue(given().get("/q/metrics").asString().contains("meshwarden_gitops_load_errors 0.0"));
    }

    @Test
    void sameNameInStoreAndGitIsAConflictGitWins() throws Exception {
        given().contentType("application/yaml").body(policy("shared-name", "7")).post("/api/v1/policies").then()
                .statusCode(201);
        Path file = TestDirs.gitopsDir().resolve("shared.yaml");
        Files.writeString(file, policy("shared-name", "2"));
        await("git to win", () -> "gitops".equals(given().get("/api/v1/policies/shared-name")
                .path("status.source")));
        given().get("/api/v1/sources").then().statusCode(200)
                .body("conflicts.find { it.name == 'shared-name' }.winner", equalTo("gitops:shared.yaml"))
                .body("conflicts.find { it.name == 'shared-name' }.shadowed", equalTo(List.of("store")));
        given().get("/api/v1/policies").then()
                .body("items.findAll { it.metadata.name == 'shared-name' }.size()", equalTo(1));
        Files.delete(file);
        await("store copy to reappear", () -> "store".equals(given().get("/api/v1/policies/shared-name")
                .path("status.source")));
        given().get("/api/v1/policies/shared-name").then().body("spec.parameters.maxPercent", equalTo(7));
    }
}

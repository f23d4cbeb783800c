package io.meshwarden.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.api.TestDirs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.meshwarden.testing.RunPolling;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(TokensProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class TokensAuthTest {
    static final String PROBLEM = "application/problem+json";

    static {
        RestAssured.config = RestAssured.config().encoderConfig(EncoderConfig.encoderConfig()
                .encodeContentTypeAs("application/yaml", ContentType.TEXT)
                // Text bodies otherwise go out as charset=ISO-8859-1, which the API refuses (415) as it should.
                .defaultContentCharset(java.nio.charset.StandardCharsets.UTF_8));
    }

    @KubernetesTestServer
    KubernetesServer server;

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    static String policy(String name, String type, String mode, String extra) {
        return """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: %s}
                spec:
                  type: %s
                  mode: %s
                %s""".formatted(name, type, mode, extra);
    }

    @Test
    void withoutAValidTokenEverythingUnderApiIsUnauthorized() {
        for (RequestSpecification r : List.of(given(), given().header("Authorization", "Basic dXNlcjpwdw=="),
                given().header("Authorization", "Bearer "), given().header("Authorization", "Bearer a b"))) {
            r.get("/api/v1/policies").then().statusCode(401)
                    .header("WWW-Authenticate", "Bearer realm=\"meshwarden\"").contentType(PROBLEM)
                    .body("status", equalTo(401)).body("type", endsWith("/unauthorized"))
                    .body("instance", equalTo("/api/v1/policies"));
        }
        // Routes that do not exist, and methods a route does not have, do not tell a stranger so.
        given().get("/api/v1/no-such-thing").then().statusCode(401);
        given().patch("/api/v1/policies/x").then().statusCode(401);
        given().post("/api").then().statusCode(401);

        for (String wrong : List.of("nope", viewerHash(), TokensProfile.VIEWER + "x",
                TokensProfile.VIEWER.substring(1))) {
            as(wrong).get("/api/v1/policies").then().statusCode(401)
                    .header("WWW-Authenticate", "Bearer realm=\"meshwarden\", error=\"invalid_token\"")
                    .body("detail", containsString("not valid"));
        }
        given().header("Authorization", "bearer " + TokensProfile.VIEWER).get("/api/v1/policies").then()
                .statusCode(200);
    }

    private static String viewerHash() {
        return Tokens.hex(TokensProfile.VIEWER);
    }

    @Test
    void healthMetricsAndTheOpenApiDocumentStayOpen() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/started").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("meshwarden_policies"));
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("components.securitySchemes.bearer.type", equalTo("http"))
                .body("components.securitySchemes.bearer.scheme", equalTo("bearer"))
                .body("security[0]", org.hamcrest.Matchers.hasKey("bearer"))
                .body("paths.'/api/v1/policies'.get.responses.'401'.description", containsString("token"))
                .body("paths.'/api/v1/runs'.post.responses.'403'.description", containsString("may not"));
    }

    @Test
    void aViewerReadsButChangesNothing() {
        try (AuditCapture audit = new AuditCapture()) {
            as(TokensProfile.VIEWER).get("/api/v1/policies").then().statusCode(200);
            as(TokensProfile.VIEWER).get("/api/v1/sources").then().statusCode(200);
            as(TokensProfile.VIEWER).get("/api/v1/runs").then().statusCode(200);
            as(TokensProfile.VIEWER).get("/api/v1/policies/missing").then().statusCode(404);
            as(TokensProfile.VIEWER).contentType("application/yaml").body(policy("viewer-made", "TraceSampling",
                    "audit", "")).post("/api/v1/policies").then().statusCode(403).contentType(PROBLEM)
                    .body("type", endsWith("/forbidden")).body("detail", equalTo("user \"ann-viewer\" may not "
                            + "create meshpolicies.meshwarden.io (role viewer)"));
            as(TokensProfile.VIEWER).post("/api/v1/runs?dryRun=true").then().statusCode(403);
            as(TokensProfile.VIEWER).post("/api/v1/audits").then().statusCode(403);
            as(TokensProfile.VIEWER).get("/api/v1/policies/viewer-made").then().statusCode(404);

            List<JsonNode> denied = audit.matching(l -> "denied".equals(l.path("outcome").asText()));
            assertEquals(3, denied.size(), audit.raw().toString());
            assertEquals("ann-viewer", denied.get(0).path("user").asText());
            assertEquals("viewer", denied.get(0).path("role").asText());
            assertEquals("policy.create", denied.get(0).path("action").asText());
            assertEquals("create meshpolicies.meshwarden.io", denied.get(0).path("denied").asText());
            assertEquals("run.start", denied.get(1).path("action").asText());
        }
    }

    @Test
    void theOnboardingDryRunNeedsTheRightOfDryRunsOnThatPolicy() {
        as(TokensProfile.VIEWER).post("/api/v1/onboarding/coverage/dry-run").then().statusCode(403)
                .contentType(PROBLEM).body("detail", equalTo("user \"ann-viewer\" may not update "
                        + "meshpolicies.meshwarden.io \"coverage\" (role viewer)"));
        // Past authorization: there is no such policy.
        as(TokensProfile.EDITOR).post("/api/v1/onboarding/coverage/dry-run").then().statusCode(404)
                .contentType(PROBLEM);
    }

    @Test
    void startingOrResumingAnOnboardingNeedsTheRightOfEnforcingRuns() {
        for (String path : new String[] {"/api/v1/onboarding/coverage", "/api/v1/onboarding/coverage/resume"}) {
            as(TokensProfile.EDITOR).post(path).then().statusCode(403).contentType(PROBLEM)
                    .body("detail", equalTo("user \"ed-editor\" may not update meshpolicies.meshwarden.io/enforce "
                            + "\"coverage\" (role editor)"));
        }
        as(TokensProfile.VIEWER).get("/api/v1/onboarding/coverage").then().statusCode(404).contentType(PROBLEM);
    }

    @Test
    void anEditorChangesPoliciesAndDryRunsButDoesNotChangeTheCluster() {
        try (AuditCapture audit = new AuditCapture()) {
            Response created = as(TokensProfile.EDITOR).contentType("application/yaml").body(policy("edited",
                    "TraceSampling", "audit", "")).post("/api/v1/policies");
            created.then().statusCode(201);
            String v1 = created.path("metadata.resourceVersion");
            Response updated = as(TokensProfile.EDITOR).contentType("application/yaml").header("If-Match",
                    "\"" + v1 + "\"").body(policy("edited", "TraceSampling", "enforce", ""))
                    .put("/api/v1/policies/edited");
            updated.then().statusCode(200);
            String v2 = updated.path("metadata.resourceVersion");
            as(TokensProfile.EDITOR).contentType("application/yaml").body(policy("edited", "TraceSampling",
                    "audit", "")).post("/api/v1/policies/validate").then().statusCode(200);
            as(TokensProfile.EDITOR).post("/api/v1/audits").then().statusCode(200);
            as(TokensProfile.EDITOR).post("/api/v1/runs?dryRun=true").then().statusCode(201)
                    .body("startedBy", equalTo("ed-editor")).body("dryRun", equalTo(true));
            as(TokensProfile.EDITOR).get("/api/v1/runs").then().statusCode(200)
                    .body("startedBy", hasItem("ed-editor"));
            as(TokensProfile.EDITOR).post("/api/v1/runs").then().statusCode(403)
                    .body("detail", equalTo("user \"ed-editor\" may not update meshpolicies.meshwarden.io/enforce "
                            + "(role editor)"));
            as(TokensProfile.EDITOR).post("/api/v1/runs?dryRun=TRUE").then().statusCode(403);
            as(TokensProfile.EDITOR).post("/api/v1/runs/any/revert").then().statusCode(403);
            as(TokensProfile.EDITOR).delete("/api/v1/policies/edited").then().statusCode(204);

            JsonNode create = audit.withAction("policy.create").get(0);
            assertEquals("ed-editor", create.path("user").asText());
            assertEquals("editor", create.path("role").asText());
            assertEquals("edited", create.path("target").asText());
            assertEquals(v1, create.path("resourceVersionAfter").asText());
            assertEquals("success", create.path("outcome").asText());
            assertTrue(Instant.parse(create.path("time").asText()).isBefore(Instant.now().plusSeconds(1)));
            JsonNode update = audit.withAction("policy.update").get(0);
            assertEquals(v1, update.path("resourceVersionBefore").asText());
            assertEquals(v2, update.path("resourceVersionAfter").asText());
            JsonNode delete = audit.withAction("policy.delete").get(0);
            assertEquals(v2, delete.path("resourceVersionBefore").asText());
            assertFalse(delete.has("resourceVersionAfter"));
            JsonNode run = audit.withAction("run.start").get(0);
            assertEquals("ed-editor", run.path("user").asText());
            assertTrue(run.path("dryRun").asBoolean());
            assertEquals("planned", run.path("outcome").asText());
            assertTrue(audit.withAction("cluster.patch").isEmpty(), "a dry run writes nothing");
            assertTrue(audit.withAction("policy.validate").isEmpty(), "validation changes nothing");
            for (String raw : audit.raw()) {
                assertFalse(raw.contains(TokensProfile.EDITOR) || raw.contains(Tokens.hex(TokensProfile.EDITOR)),
                        "the audit log holds no token or hash: " + raw);
            }
        }
    }

    @Test
    void anAdminEnforcesAndRevertsAndEveryClusterWriteNamesThem() {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("auth-batch")
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        k.batch().v1().cronjobs().inNamespace("auth-batch").resource(new CronJobBuilder().withNewMetadata()
                .withName("nightly").withNamespace("auth-batch").endMetadata().withNewSpec()
                .withSchedule("0 2 * * *").withNewJobTemplate().withNewSpec().withNewTemplate().withNewMetadata()
                .addToLabels("app", "nightly").endMetadata().withNewSpec().addNewContainer().withName("job")
                .withImage("job").endContainer().withRestartPolicy("OnFailure").endSpec().endTemplate().endSpec()
                .endJobTemplate().endSpec().build()).create();
        try (AuditCapture audit = new AuditCapture()) {
            as(TokensProfile.ADMIN).contentType("application/yaml").body(policy("auth-jobs", "InjectionExclusion",
                    "enforce", """
                      target: {namespaces: {include: [auth-batch]}}
                      parameters: {whenNativeSidecars: enforce}
                    """)).post("/api/v1/policies").then().statusCode(201);
            Response started = as(TokensProfile.ADMIN).post("/api/v1/runs");
            started.then().statusCode(202).body("startedBy", equalTo("ops-admin"));
            String id = started.path("id");
            awaitFinished(id).then().body("outcome", equalTo("applied")).body("startedBy", equalTo("ops-admin"));
            String label = k.batch().v1().cronjobs().inNamespace("auth-batch").withName("nightly").get().getSpec()
                    .getJobTemplate().getSpec().getTemplate().getMetadata().getLabels().get("sidecar.istio.io/inject");
            assertEquals("false", label);

            as(TokensProfile.ADMIN).post("/api/v1/runs/" + id + "/revert").then().statusCode(200)
                    .body("outcome", equalTo("reverted"));

            JsonNode start = audit.withAction("run.start").get(0);
            assertEquals("ops-admin", start.path("user").asText());
            assertEquals(id, start.path("runId").asText());
            assertFalse(start.path("dryRun").asBoolean());
            List<JsonNode> patches = audit.withAction("cluster.patch");
            assertEquals(2, patches.size(), audit.raw().toString());
            JsonNode applied = patches.get(0);
            assertEquals("ops-admin", applied.path("user").asText());
            assertEquals("CronJob auth-batch/nightly", applied.path("target").asText());
            assertEquals(id, applied.path("runId").asText());
            assertEquals("applied", applied.path("outcome").asText());
            assertEquals("auth-jobs", applied.path("policies").get(0).asText());
            assertTrue(applied.hasNonNull("resourceVersionBefore") && applied.hasNonNull("resourceVersionAfter"));
            assertFalse(applied.path("resourceVersionBefore").equals(applied.path("resourceVersionAfter")));
            JsonNode revert = audit.withAction("run.revert").get(0);
            assertEquals("ops-admin", revert.path("user").asText());
            assertEquals("reverted", revert.path("outcome").asText());
            assertEquals("reverted", patches.get(1).path("outcome").asText());
            assertEquals("CronJob auth-batch/nightly", patches.get(1).path("target").asText());
        }
    }

    @Test
    void aRewrittenTokensFileTakesEffectWithoutARestart() throws Exception {
        String rotated = "rotated-token-0123456789";
        as(rotated).get("/api/v1/policies").then().statusCode(401);
        try {
            Files.writeString(TokensProfile.TOKENS, TokensProfile.file() + Tokens.line("rot", "viewer", rotated));
            Files.setLastModifiedTime(TokensProfile.TOKENS, FileTime.from(Instant.now().plusSeconds(5)));
            as(rotated).get("/api/v1/policies").then().statusCode(200);
            as(rotated).post("/api/v1/audits").then().statusCode(403);
        } finally {
            Files.writeString(TokensProfile.TOKENS, TokensProfile.file());
            Files.setLastModifiedTime(TokensProfile.TOKENS, FileTime.from(Instant.now().plusSeconds(10)));
        }
        as(rotated).get("/api/v1/policies").then().statusCode(401);
        as(TokensProfile.VIEWER).get("/api/v1/policies").then().statusCode(200);
    }

    private static Response awaitFinished(String id) {
        return RunPolling.awaitFinished(() -> as(TokensProfile.ADMIN), id);
    }
}

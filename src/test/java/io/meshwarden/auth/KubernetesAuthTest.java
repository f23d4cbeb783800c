package io.meshwarden.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.api.TestDirs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(KubernetesAuthProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = false, setup = ReviewApi.class)
class KubernetesAuthTest {

    @BeforeEach
    void users() {
        ReviewApi.reset();
    }

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private static JsonNode lastAccessReview() {
        return ReviewApi.ACCESS_REQUESTS.get(ReviewApi.ACCESS_REQUESTS.size() - 1);
    }

    @Test
    void clusterRbacDecidesThroughTokenAndAccessReviews() {
        ReviewApi.user("alice-sa-token", "system:serviceaccount:ci:alice", List.of("system:serviceaccounts",
                "system:authenticated"));
        String alice = "system:serviceaccount:ci:alice";
        ReviewApi.ALLOWED.addAll(List.of(alice + " list meshpolicies", alice + " get meshpolicies",
                alice + " create meshpolicies"));

        try (AuditCapture audit = new AuditCapture()) {
            as("alice-sa-token").get("/api/v1/policies").then().statusCode(200);
            JsonNode tokenReview = ReviewApi.TOKEN_REQUESTS.get(0);
            assertEquals("authentication.k8s.io/v1", tokenReview.path("apiVersion").asText());
            assertEquals("TokenReview", tokenReview.path("kind").asText());
            assertEquals("alice-sa-token", tokenReview.at("/spec/token").asText());
            assertEquals("[\"meshwarden\",\"https://kubernetes.default.svc\"]",
                    tokenReview.at("/spec/audiences").toString());

            JsonNode sar = lastAccessReview();
            assertEquals("authorization.k8s.io/v1", sar.path("apiVersion").asText());
            assertEquals("SubjectAccessReview", sar.path("kind").asText());
            assertEquals(alice, sar.at("/spec/user").asText());
            assertEquals("uid-" + alice, sar.at("/spec/uid").asText());
            assertEquals("[\"system:serviceaccounts\",\"system:authenticated\"]", sar.at("/spec/groups").toString());
            assertEquals("[\"meshwarden\"]", sar.at("/spec/extra/scopes").toString());
            JsonNode ra = sar.at("/spec/resourceAttributes");
            assertEquals("meshwarden.io", ra.path("group").asText());
            assertEquals("meshpolicies", ra.path("resource").asText());
            assertEquals("list", ra.path("verb").asText());
            assertFalse(ra.has("name") || ra.has("namespace") || ra.has("subresource"), ra.toString());

            as("alice-sa-token").contentType("application/json").body("""
                    {"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"k8s-made"},
                     "spec":{"type":"TraceSampling"}}""").post("/api/v1/policies").then().statusCode(201);
            as("alice-sa-token").get("/api/v1/policies/k8s-made").then().statusCode(200);
            assertEquals("get", lastAccessReview().at("/spec/resourceAttributes/verb").asText());
            assertEquals("k8s-made", lastAccessReview().at("/spec/resourceAttributes/name").asText());

            as("alice-sa-token").delete("/api/v1/policies/k8s-made").then().statusCode(403)
                    .body("detail", equalTo("user \"" + alice + "\" may not delete meshpolicies.meshwarden.io "
                            + "\"k8s-made\""));
            as("alice-sa-token").post("/api/v1/runs").then().statusCode(403)
                    .body("detail", containsString("may not update meshpolicies.meshwarden.io/enforce"));
            JsonNode enforce = lastAccessReview().at("/spec/resourceAttributes");
            assertEquals("update", enforce.path("verb").asText());
            assertEquals("enforce", enforce.path("subresource").asText());
            // A dry run needs update on meshpolicies itself, which alice lacks too.
            as("alice-sa-token").post("/api/v1/runs?dryRun=true").then().statusCode(403);
            assertFalse(lastAccessReview().at("/spec/resourceAttributes").has("subresource"));

            JsonNode created = audit.withAction("policy.create").get(0);
            assertEquals(alice, created.path("user").asText());
            assertEquals("[\"system:serviceaccounts\",\"system:authenticated\"]", created.path("groups").toString());
            assertEquals("k8s-made", created.path("target").asText());
            assertFalse(created.has("role"));
            assertEquals(3, audit.matching(l -> "denied".equals(l.path("outcome").asText())).size(),
                    audit.raw().toString());
        }

        as("someone-elses-token").get("/api/v1/policies").then().statusCode(401)
                .header("WWW-Authenticate", containsString("invalid_token"));
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void answersAndDenialsAreReusedForTheCacheTtl() {
        ReviewApi.user("carol-token", "carol", List.of("viewers"));
        ReviewApi.ALLOWED.addAll(List.of("carol list meshpolicies", "carol get meshpolicies"));

        as("carol-token").get("/api/v1/policies").then().statusCode(200);
        as("carol-token").get("/api/v1/policies").then().statusCode(200);
        assertEquals(1, ReviewApi.TOKEN_REQUESTS.size(), "one TokenReview");
        assertEquals(1, ReviewApi.ACCESS_REQUESTS.size(), "one SubjectAccessReview");

        as("carol-token").get("/api/v1/sources").then().statusCode(200);
        as("carol-token").get("/api/v1/runs").then().statusCode(200);
        assertEquals(1, ReviewApi.TOKEN_REQUESTS.size(), "the token is known");
        assertEquals(2, ReviewApi.ACCESS_REQUESTS.size(), "get is a new question, list is not");

        for (int i = 0; i < 3; i++) {
            as("carol-token").post("/api/v1/audits").then().statusCode(403);
            as("unknown-token").get("/api/v1/policies").then().statusCode(401);
        }
        assertEquals(3, ReviewApi.ACCESS_REQUESTS.size(), "a denial is cached too");
        assertEquals(2, ReviewApi.TOKEN_REQUESTS.size(), "so is an unknown token");

        // Revoking the RoleBinding takes effect when the answer expires (5m here), not before.
        ReviewApi.ALLOWED.clear();
        as("carol-token").get("/api/v1/policies").then().statusCode(200);
    }

    @Test
    void anApiServerThatCannotAnswerGets503AndNeverAccess() {
        ReviewApi.user("dave-token", "dave", List.of());
        ReviewApi.ALLOWED.add("dave list meshpolicies");
        ReviewApi.failing = true;
        as("dave-token").get("/api/v1/policies").then().statusCode(503).contentType("application/problem+json")
                .body("type", endsWith("/authorization-unavailable"))
                .body("detail", containsString("TokenReview failed (HTTP 500)"));
        assertTrue(ReviewApi.FAILED.get() >= 1);

        ReviewApi.failing = false;
        as("dave-token").get("/api/v1/policies").then().statusCode(200);
        assertEquals(1, ReviewApi.TOKEN_REQUESTS.size(), "the failure was not cached");

        ReviewApi.failing = true;
        as("dave-token").get("/api/v1/sources").then().statusCode(503)
                .body("detail", containsString("SubjectAccessReview failed (HTTP 500)"));
        as("dave-token").get("/api/v1/policies").then().statusCode(200);
    }
}

package io.meshwarden.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.meshwarden.api.TestDirs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 14, finding 7: under /api an invalid token is 401 also where no route answers (unknown paths, OPTIONS). */
@QuarkusTest
@TestProfile(TokensProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class HostileAuthTest {
    private static final List<String[]> UNROUTED = List.of(
            new String[] {"GET", "/api/v1/made-up"},
            new String[] {"GET", "/api/made-up/deeper"},
            new String[] {"OPTIONS", "/api/v1/policies"},
            new String[] {"OPTIONS", "/api/v1/policies/x"},
            new String[] {"OPTIONS", "/api"},
            new String[] {"PATCH", "/api/v1/policies/x"},
            new String[] {"DELETE", "/api/v1/sources"});

    @Test
    void anInvalidTokenIs401WhereNoRouteAnswers() {
        for (String[] r : UNROUTED) {
            given().header("Authorization", "Bearer not-a-token-of-ours").request(r[0], r[1]).then()
                    .statusCode(401).contentType("application/problem+json")
                    .header("WWW-Authenticate", containsString("invalid_token"))
                    .body("status", equalTo(401));
            given().request(r[0], r[1]).then().statusCode(401).contentType("application/problem+json");
        }
    }

    @Test
    void aValidTokenStillGetsTheRoutingAnswer() {
        given().header("Authorization", "Bearer " + TokensProfile.VIEWER).get("/api/v1/made-up").then()
                .statusCode(404);
        given().header("Authorization", "Bearer " + TokensProfile.ADMIN).request("PATCH", "/api/v1/policies/x")
                .then().statusCode(405);
        int options = given().header("Authorization", "Bearer " + TokensProfile.VIEWER)
                .request("OPTIONS", "/api/v1/policies").then().extract().statusCode();
        org.junit.jupiter.api.Assertions.assertTrue(options < 300, "OPTIONS with a valid token: " + options);
        given().header("Authorization", "Bearer " + TokensProfile.VIEWER).get("/api/v1/policies").then()
                .statusCode(200);
    }

    /** Finding 6: made-up /api paths (401 before routing, so no template) filled the URI-tag budget of the metrics. */
    @Test
    void madeUpPathsDoNotReachTheMetrics() {
        for (int i = 0; i < 200; i++) {
            given().get("/api/v1/made-up-" + i + "-zq").then().statusCode(401);
            given().header("Authorization", "Bearer wrong").delete("/api/v1/policies/named-zq" + i).then()
                    .statusCode(401);
        }
        given().header("Authorization", "Bearer " + TokensProfile.VIEWER).get("/api/v1/sources").then()
                .statusCode(200);
        given().header("Authorization", "Bearer " + TokensProfile.VIEWER).get("/api/v1/runs/none-zq").then()
                .statusCode(404);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        List<String> requests = metrics.lines().filter(l -> l.startsWith("http_server_requests_seconds_count"))
                .toList();
        org.junit.jupiter.api.Assertions.assertFalse(metrics.contains("-zq"), () -> requests.stream()
                .filter(l -> l.contains("-zq")).limit(5).toList().toString());
        org.junit.jupiter.api.Assertions.assertTrue(requests.stream().anyMatch(l -> l.contains(
                "uri=\"/api/v1/sources\"")), requests::toString);
        org.junit.jupiter.api.Assertions.assertTrue(requests.stream().anyMatch(l -> l.contains("uri=\"UNKNOWN\"")
                && l.contains("status=\"401\"")), requests::toString);
        org.junit.jupiter.api.Assertions.assertTrue(requests.size() < 60, requests.size() + " series");
    }
}

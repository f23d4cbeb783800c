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
}

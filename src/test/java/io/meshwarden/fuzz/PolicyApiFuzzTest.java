package io.meshwarden.fuzz;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meshwarden.api.FuzzAccess;
import io.meshwarden.store.FilePolicyStore;
import io.meshwarden.store.ResourceVersionClock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * 600 generated documents against the REST API: each answer is a 2xx for a document that really is valid, or a 4xx
 * problem document whose violations name a field; never a 5xx. Afterwards every stored file is a valid policy.
 */
@QuarkusTest
@io.quarkus.test.common.WithTestResource(io.meshwarden.api.TestDirs.class)
class PolicyApiFuzzTest {
    static final long SEED = 0x5eed_2026L;
    static final int CASES = 600;

    static {
        FuzzAccess.installYaml();
    }

    @Test
    void malformedDocumentsNeverCauseA5xxNorAStoredInvalidPolicy() throws Exception {
        List<MalformedPolicies.Case> cases = MalformedPolicies.generate(CASES, SEED);
        Map<Integer, Integer> statuses = new TreeMap<>();
        int i = 0;
        for (MalformedPolicies.Case c : cases) {
            String path = (i++ % 4 == 0) ? "/api/v1/policies/validate" : "/api/v1/policies";
            Response resp = given().contentType(c.yaml() ? "application/yaml" : "application/json").body(c.body())
                    .post(path);
            int status = resp.statusCode();
            statuses.merge(status, 1, Integer::sum);
            String context = "case " + (i - 1) + " (" + c.description() + ") -> " + status + ": " + resp.asString();
            if (status >= 500) {
                fail("server error for " + context + "\nbody sent:\n" + c.text());
            }
            if (status >= 400) {
                assertTrue(resp.contentType().startsWith("application/problem+json"), context);
                if (status == 400 || status == 422) {
                    List<String> fields = resp.path("violations.field");
                    assertFalse(fields == null || fields.isEmpty(), "no violations in " + context);
                }
            } else {
                assertTrue(status == 200 || status == 201, context);
            }
        }
        System.out.println("fuzz: " + CASES + " documents, statuses " + statuses);
        assertTrue(statuses.getOrDefault(422, 0) > CASES / 4, "most mutations must be caught by validation: "
                + statuses);
        assertTrue(statuses.getOrDefault(400, 0) > CASES / 20, "damaged bytes must be refused as malformed: "
                + statuses);

        FilePolicyStore reread = new FilePolicyStore(FuzzAccess.storeDir(), new ResourceVersionClock(), null);
        reread.load();
        assertEquals(List.of(), reread.loadErrors(), "a stored file is not a valid policy");
        List<String> listed = given().get("/api/v1/policies").then().statusCode(200).extract()
                .path("items.metadata.name");
        for (String name : listed) {
            given().get("/api/v1/policies/" + name).then().statusCode(200);
        }
    }
}

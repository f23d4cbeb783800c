package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policies.PolicyTypes;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(TestDirs.class)
class PolicyApiTest {
    static {
        YamlBodies.install();
    }

    static final String PROBLEM = "application/problem+json";

    static String json(String name, String type, String mode, String params) {
        return """
                {"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy",
                 "metadata":{"name":"%s","labels":{"team":"platform","env":"prod"}},
                 "spec":{"type":"%s","mode":"%s","severity":"danger","parameters":%s}}
                """.formatted(name, type, mode, params);
    }

    static Response create(String body) {
        return given().contentType("application/json").body(body).post("/api/v1/policies");
    }

    @Test
    void createReadUpdateDeleteWithEtags() throws Exception {
        Response created = create(json("crud-ha", "HaMinimum", "audit", "{\"minReplicas\":3}"));
        created.then().statusCode(201)
                .header("Location", containsString("/api/v1/policies/crud-ha"))
                .header("ETag", not(emptyOrNullString()))
                .body("metadata.generation", equalTo(1))
                .body("spec.parameters.autoscaleMax", equalTo(5))
                .body("status.source", equalTo("store"));
        String rv = created.path("metadata.resourceVersion");
        assertEquals("\"" + rv + "\"", created.header("ETag"));
        assertTrue(Files.exists(TestDirs.storeDir().resolve("crud-ha.yaml")), "the write is on disk when acked");

        given().get("/api/v1/policies/crud-ha").then().statusCode(200).header("ETag", "\"" + rv + "\"")
                .body("spec.parameters.minReplicas", equalTo(3));

        // Stale If-Match is 412, stale body resourceVersion is 409, a good one updates and bumps generation.
        String v2 = json("crud-ha", "HaMinimum", "enforce", "{\"minReplicas\":4}");
        given().contentType("application/json").header("If-Match", "\"1\"").body(v2).put("/api/v1/policies/crud-ha")
                .then().statusCode(412).contentType(PROBLEM);
        given().contentType("application/json").body(v2.replace("\"name\":\"crud-ha\"",
                "\"name\":\"crud-ha\",\"resourceVersion\":\"1\"")).put("/api/v1/policies/crud-ha")
                .then().statusCode(409).contentType(PROBLEM)
                .body("violations[0].field", equalTo("/metadata/resourceVersion"));
        Response updated = given().contentType("application/json").header("If-Match", "\"" + rv + "\"").body(v2)
                .put("/api/v1/policies/crud-ha");
        updated.then().statusCode(200).body("metadata.generation", equalTo(2)).body("spec.mode", equalTo("enforce"));
        String rv2 = updated.path("metadata.resourceVersion");
        assertTrue(Long.parseLong(rv2) > Long.parseLong(rv));

        given().header("If-Match", "\"" + rv + "\"").delete("/api/v1/policies/crud-ha").then().statusCode(412);
        given().header("If-Match", "\"" + rv2 + "\"").delete("/api/v1/policies/crud-ha").then().statusCode(204);
        given().get("/api/v1/policies/crud-ha").then().statusCode(404).contentType(PROBLEM)
                .body("detail", containsString("crud-ha"));
        assertFalse(Files.exists(TestDirs.storeDir().resolve("crud-ha.yaml")));
    }

    @Test
    void yamlInAndOut() {
        String yaml = """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: yaml-sizing}
                spec:
                  type: ProxySizing
                  parameters: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: "1", memory: 512Mi}}
                """;
        given().contentType("application/yaml").body(yaml).accept("application/yaml").post("/api/v1/policies")
                .then().statusCode(201).contentType(containsString("yaml"))
                .body(containsString("name: yaml-sizing")).body(containsString("tolerance: 10"));
        String body = given().accept("application/yaml").get("/api/v1/policies/yaml-sizing").then().statusCode(200)
                .extract().asString();
        assertTrue(body.contains("memory: 64Mi"), body);
        // What a GET returns can be PUT back as it is (status and server fields are accepted).
        given().contentType("application/yaml").body(body).put("/api/v1/policies/yaml-sizing").then().statusCode(200)
                .body("metadata.generation", equalTo(1));
    }

    @Test
    void invalidDocumentsGet422WithEveryFieldPath() {
        create("""
                {"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"Bad Name"},
                 "spec":{"type":"ProxySizing","mode":"always","extra":1,
                         "parameters":{"requests":{"cpu":"lots","memory":"1Gi"},"limits":{"memory":"1Mi"}}}}
                """).then().statusCode(422).contentType(PROBLEM)
                .body("type", equalTo("https://meshwarden.io/problems/invalid-policy"))
                .body("status", equalTo(422))
                .body("violations.field", hasItems("/metadata/name", "/spec/mode", "/spec/extra",
                        "/spec/parameters/requests/cpu", "/spec/parameters/limits/memory"));
        given().get("/api/v1/policies/Bad Name").then().statusCode(404);
        create(json("with-rv", "TraceSampling", "audit", "{}").replace("\"name\":\"with-rv\"",
                "\"name\":\"with-rv\",\"resourceVersion\":\"5\"")).then().statusCode(422)
                .body("violations[0].field", equalTo("/metadata/resourceVersion"));
    }

    @Test
    void malformedBodiesAre4xxNever5xx() {
        create("{\"apiVersion\": ").then().statusCode(400).contentType(PROBLEM).body("detail", containsString("line"));
        given().contentType("application/yaml").body("a: [\nb: }").post("/api/v1/policies").then().statusCode(400);
        given().contentType("application/json").body("").post("/api/v1/policies").then().statusCode(400);
        given().contentType("application/json").body(new byte[] {0, 1, 2, 3}).post("/api/v1/policies").then()
                .statusCode(400);
        given().contentType("application/json").body("{\"a\":1,\"a\":2}").post("/api/v1/policies").then()
                .statusCode(400).body("detail", containsString("uplicate"));
        given().contentType("text/plain").body("hello").post("/api/v1/policies").then().statusCode(415)
                .contentType(PROBLEM);
        given().contentType("application/json").body("x".repeat(300 * 1024)).post("/api/v1/policies").then()
                .statusCode(413);
        given().contentType("application/json").body("[" + "[".repeat(500) + "]".repeat(500) + "]")
                .post("/api/v1/policies").then().statusCode(400);
    }

    @Test
    void duplicateNamesAndPathMismatch() {
        create(json("dup-one", "TraceSampling", "audit", "{}")).then().statusCode(201);
        create(json("dup-one", "TraceSampling", "audit", "{}")).then().statusCode(409).contentType(PROBLEM)
                .body("detail", containsString("already exists"));
        given().contentType("application/json").body(json("dup-two", "TraceSampling", "audit", "{}"))
                .put("/api/v1/policies/dup-one").then().statusCode(422)
                .body("violations[0].field", equalTo("/metadata/name"));
        given().contentType("application/json").body(json("nobody", "TraceSampling", "audit", "{}"))
                .put("/api/v1/policies/nobody").then().statusCode(404);
        given().contentType("application/json").header("If-Match", "garbage")
                .body(json("dup-one", "TraceSampling", "audit", "{}")).put("/api/v1/policies/dup-one").then()
                .statusCode(400).body("violations[0].field", equalTo("header/If-Match"));
        given().delete("/api/v1/policies/nobody").then().statusCode(404);
    }

    @Test
    void listFilters() {
        create(json("f-trace-audit", "TraceSampling", "audit", "{}")).then().statusCode(201);
        create(json("f-trace-enforce", "TraceSampling", "enforce", "{}")).then().statusCode(201);
        create(json("f-hdr", "HeaderRemoval", "audit", "{}").replace("\"env\":\"prod\"", "\"env\":\"dev\""))
                .then().statusCode(201);
        given().get("/api/v1/policies").then().statusCode(200).body("kind", equalTo("MeshPolicyList"))
                .body("items.metadata.name", hasItems("f-trace-audit", "f-trace-enforce", "f-hdr"));
        List<String> trace = given().queryParam("type", "TraceSampling").queryParam("mode", "enforce")
                .get("/api/v1/policies").then().statusCode(200).extract().path("items.metadata.name");
        assertTrue(trace.contains("f-trace-enforce") && !trace.contains("f-trace-audit") && !trace.contains("f-hdr"),
                trace::toString);
        List<String> dev = given().queryParam("labelSelector", "team=platform,env in (dev)")
                .get("/api/v1/policies").then().statusCode(200).extract().path("items.metadata.name");
        assertEquals(List.of("f-hdr"), dev);
        given().queryParam("source", "store").get("/api/v1/policies").then().statusCode(200)
                .body("items.status.source", not(hasItem("gitops")));
        given().queryParam("type", "Nope").get("/api/v1/policies").then().statusCode(400)
                .body("violations[0].field", equalTo("query/type"));
        given().queryParam("labelSelector", "a in b").get("/api/v1/policies").then().statusCode(400)
                .body("violations[0].field", equalTo("query/labelSelector"));
        given().accept("application/yaml").get("/api/v1/policies").then().statusCode(200)
                .body(containsString("kind: MeshPolicyList"));
    }

    @Test
    void validateIsADryRun() {
        given().contentType("application/json").body(json("dry-run-only", "InjectionExclusion", "audit", "{}"))
                .post("/api/v1/policies/validate").then().statusCode(200).body("valid", equalTo(true))
                .body("policy.spec.parameters.workloadKinds", equalTo(List.of("Job", "CronJob")))
                .body("policy.spec.parameters.whenNativeSidecars", equalTo("skip"));
        given().contentType("application/json").body(json("dry-run-bad", "InjectionExclusion", "audit",
                "{\"workloadKinds\":[\"Pod\"]}")).post("/api/v1/policies/validate").then().statusCode(422)
                .body("violations[0].field", equalTo("/spec/parameters/workloadKinds/0"));
        given().get("/api/v1/policies/dry-run-only").then().statusCode(404);
        assertFalse(Files.exists(TestDirs.storeDir().resolve("dry-run-only.yaml")));
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        given().get("/api/v1/nothing-here").then().statusCode(404);
        given().patch("/api/v1/policies/x").then().statusCode(405);
    }

    @Test
    void metricsHealthAndOpenApi() {
        create(json("metric-trace", "TraceSampling", "enforce", "{}")).then().statusCode(201);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("meshwarden_policies{") && l.contains(
                "type=\"TraceSampling\"") && l.contains("mode=\"enforce\"") && l.contains("source=\"store\"")
                && !l.endsWith(" 0.0")), metrics);
        assertTrue(metrics.contains("meshwarden_store_write_seconds_count"), "store write timer");
        assertTrue(metrics.contains("meshwarden_gitops_load_errors"), "gitops error gauge");
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem("policy-sources"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        Response openapi = given().accept("application/json").get("/q/openapi");
        openapi.then().statusCode(200)
                .body("paths.'/api/v1/policies'.get.summary", notNullValue())
                .body("paths.'/api/v1/policies'.post.summary", notNullValue())
                .body("paths.'/api/v1/policies/validate'.post.summary", notNullValue())
                .body("paths.'/api/v1/policies/{name}'.get.summary", notNullValue())
                .body("paths.'/api/v1/policies/{name}'.put.summary", notNullValue())
                .body("paths.'/api/v1/policies/{name}'.delete.summary", notNullValue())
                .body("paths.'/api/v1/sources'.get.summary", notNullValue())
                .body("components.schemas.MeshPolicy.properties.spec", notNullValue())
                .body("components.schemas.Problem.properties.violations", notNullValue())
                // Generated from the policy model at build time: one variant per type, discriminated by type.
                .body("components.schemas.MeshPolicySpec.discriminator.propertyName", equalTo("type"))
                .body("components.schemas.MeshPolicySpec.oneOf.size()", equalTo(PolicyTypes.ALL.size()))
                .body("components.schemas.ProxySizingParameters.properties.requests.required", hasItems("cpu",
                        "memory"))
                .body("components.schemas.HaMinimumParameters.properties.minReplicas.default", equalTo(2))
                .body("components.schemas.TraceSamplingSpec.properties.type.enum", hasItems("TraceSampling"));
    }
}

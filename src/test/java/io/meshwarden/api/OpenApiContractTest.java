package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.PolicySchema;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 finding 8 and what schemathesis found (src/test/schemathesis): the OpenAPI document says what the server
 * does. Each assertion here failed before its fix, except the paging bounds, which were declared already.
 */
@QuarkusTest
@WithTestResource(TestDirs.class)
class OpenApiContractTest {
    private static final String PROBLEM = "application/problem+json";

    private static JsonPath document() {
        return given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void theReportIsAnObjectNotAnArray() {
        JsonPath doc = document();
        String latest = "paths.'/api/v1/reports/latest'.get.responses.'200'.content.'application/json'.schema.'$ref'";
        org.junit.jupiter.api.Assertions.assertEquals("#/components/schemas/Report", doc.getString(latest));
        org.junit.jupiter.api.Assertions.assertEquals("object", doc.getString("components.schemas.Report.type"));
        org.junit.jupiter.api.Assertions.assertEquals("object",
                doc.getString("components.schemas.PolicyFindings.type"));
    }

    @Test
    void everyErrorOfPutDeleteRunsAndReportsIsAProblemDocument() {
        JsonPath doc = document();
        String[][] expected = {
            {"/api/v1/policies/{name}", "put", "400", "404", "409", "412", "413", "415", "422"},
            {"/api/v1/policies/{name}", "delete", "400", "404", "409", "412"},
            {"/api/v1/policies", "post", "400", "409", "413", "415", "422"},
            {"/api/v1/runs/{id}", "get", "404"},
            {"/api/v1/runs/{id}/revert", "post", "404", "409"},
            {"/api/v1/reports/latest", "get", "400", "404"},
            {"/api/v1/reports/latest/policies/{name}", "get", "404"}};
        for (String[] op : expected) {
            for (int i = 2; i < op.length; i++) {
                String at = "paths.'" + op[0] + "'." + op[1] + ".responses.'" + op[i] + "'.content.'" + PROBLEM
                        + "'.schema.'$ref'";
                org.junit.jupiter.api.Assertions.assertEquals("#/components/schemas/Problem", doc.getString(at),
                        op[1] + " " + op[0] + " " + op[i]);
            }
            for (String codec : List.of("401", "414", "431")) {
                org.junit.jupiter.api.Assertions.assertNotNull(doc.get("paths.'" + op[0] + "'." + op[1]
                        + ".responses.'" + codec + "'"), op[1] + " " + op[0] + " " + codec);
            }
        }
    }

    @Test
    void constraintsNamePatternEnumsAndPagingBounds() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("paths.'/api/v1/policies/{name}'.get.parameters.find { it.name == 'name' }.schema.pattern",
                        equalTo(PolicySchema.DNS_SUBDOMAIN))
                .body("paths.'/api/v1/policies/{name}'.get.parameters.find { it.name == 'name' }.schema.maxLength",
                        equalTo(253))
                .body("components.schemas.PolicyTypeName.enum.size()", equalTo(PolicyTypes.ALL.size()))
                .body("components.schemas.PolicyMode.enum", hasItems("audit", "enforce"))
                .body("components.schemas.PolicySource.enum", hasItems("store", "gitops"))
                .body("paths.'/api/v1/reports/latest'.get.parameters.find { it.name == 'limit' }.schema.maximum",
                        equalTo(ReportResource.MAX_PAGE))
                // Unknown fields are refused by the codec, so the schemas are closed (maps stay open).
                .body("components.schemas.MeshPolicy.additionalProperties", equalTo(false))
                .body("components.schemas.MeshPolicy.properties.metadata.additionalProperties", equalTo(false))
                .body("components.schemas.MeshPolicy.properties.metadata.properties.labels.propertyNames.pattern",
                        notNullValue())
                // The store assigns resourceVersion; sending it on create is a 422.
                .body("paths.'/api/v1/policies'.post.requestBody.content.'application/json'.schema.'$ref'",
                        equalTo("#/components/schemas/NewMeshPolicy"))
                .body("components.schemas.NewMeshPolicy.properties.metadata.required", hasItem("name"))
                .body("components.schemas.NewMeshPolicy.properties.metadata.properties.resourceVersion",
                        nullValue())
                // A type whose parameters have required fields needs parameters (absent is read as {}).
                .body("components.schemas.ProxySizingSpec.required", hasItem("parameters"))
                // An optional field sent as null is read as absent.
                .body("components.schemas.ControlPlaneMonitoringParameters.properties.alerts.type", hasItem("null"))
                .body("components.schemas.StoreStatus.properties.directory.type", hasItem("null"));
    }

    @Test
    void aMethodNotAllowedNamesTheAllowedOnes() {
        // RFC 9110 15.5.6: a 405 must carry Allow; RESTEasy sent none.
        given().request("TRACE", "/api/v1/audits").then().statusCode(405).header("Allow", "OPTIONS, POST");
        given().request("PATCH", "/api/v1/policies/x").then().statusCode(405)
                .header("Allow", "DELETE, GET, HEAD, OPTIONS, PUT");
        // OPTIONS listed the whole class's methods, POST on /{name} included.
        given().options("/api/v1/policies/x").then().statusCode(200)
                .header("Allow", "DELETE, GET, HEAD, OPTIONS, PUT");
        given().options("/api/v1/runs/r-1/revert").then().statusCode(200).header("Allow", "OPTIONS, POST");
    }

    @Test
    void anEmptyFilterIsRefusedLikeAnyValueOutsideTheEnum() {
        for (String q : List.of("type=", "mode=", "source=")) {
            given().get("/api/v1/policies?" + q).then().statusCode(400).contentType(PROBLEM)
                    .body("violations[0].field", equalTo("query/" + q.substring(0, q.length() - 1)));
        }
        given().get("/api/v1/policies?source=store&mode=audit").then().statusCode(200);
    }
}

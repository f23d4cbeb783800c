package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.testing.Workloads;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ClusterProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class ReportApiTest {
    static {
        YamlBodies.install();
    }

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void auditReadsTheClusterAndPublishesReportAndMetrics() {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("istio-system").endMetadata()
                .build()).create();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("batch")
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        k.apps().deployments().inNamespace("istio-system").resource(new DeploymentBuilder().withNewMetadata()
                .withName("istiod").withNamespace("istio-system").addToLabels("app", "istiod").endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "istiod").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "istiod").endMetadata().withNewSpec()
                .addNewContainer().withName("discovery").withImage("pilot").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        k.batch().v1().cronjobs().inNamespace("batch").resource(Workloads.nightlyCronJob("batch")).create();

        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: report-ha}
                spec: {type: HaMinimum, severity: danger, parameters: {components: [istiod], minReplicas: 2}}
                """).post("/api/v1/policies").then().statusCode(201);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: report-jobs}
                spec: {type: InjectionExclusion, parameters: {whenNativeSidecars: enforce}}
                """).post("/api/v1/policies").then().statusCode(201);

        // wg-policy CRDs present: the audit also writes PolicyReports for existing report UIs.
        for (String[] crd : new String[][] {{"policyreports", "PolicyReport", "Namespaced"},
                {"clusterpolicyreports", "ClusterPolicyReport", "Cluster"}}) {
            k.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                    .withNewMetadata().withName(crd[0] + ".wgpolicyk8s.io").endMetadata().withNewSpec()
                    .withGroup("wgpolicyk8s.io").withScope(crd[2]).withNewNames().withKind(crd[1]).withPlural(crd[0])
                    .withListKind(crd[1] + "List").withSingular(crd[1].toLowerCase()).endNames().addNewVersion()
                    .withName("v1alpha2").withServed(true).withStorage(true).endVersion().endSpec().build()).create();
        }

        given().post("/api/v1/audits").then().statusCode(200)
                .header("Location", org.hamcrest.Matchers.endsWith("/api/v1/reports/latest"))
                .body("source", equalTo("cluster"))
                .body("summary.findings", greaterThan(0))
                .body("evaluationNotes.code", hasItem("no-helm-release"))
                .body("findings", org.hamcrest.Matchers.nullValue());
        given().get("/api/v1/reports/latest").then().statusCode(200)
                .body("findings.rule", hasItem("ha-deployment-replicas"))
                .body("findings.resource.name", hasItem("nightly"));
        int total = given().get("/api/v1/reports/latest").path("summary.findings");
        given().queryParam("limit", 1).queryParam("offset", 1).get("/api/v1/reports/latest").then().statusCode(200)
                .body("findings.size()", equalTo(1)).body("page.total", equalTo(total))
                .body("page.offset", equalTo(1));
        given().queryParam("limit", 0).get("/api/v1/reports/latest").then().statusCode(400)
                .body("violations[0].field", equalTo("query/limit"));

        GenericKubernetesResource batchReport = k.genericKubernetesResources("wgpolicyk8s.io/v1alpha2", "PolicyReport")
                .inNamespace("batch").withName("meshwarden").get();
        assertTrue(batchReport != null, "a PolicyReport in the namespace with findings");
        assertEquals("meshwarden", batchReport.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
        assertTrue(batchReport.getAdditionalProperties().get("results").toString().contains("nightly"),
                () -> batchReport.getAdditionalProperties().toString());

        given().get("/api/v1/reports/latest").then().statusCode(200)
                .body("findings.policy", hasItem("report-ha"))
                .body("notes.size()", greaterThan(0))
                // istiod runs but no Helm release installs it: its install values were not checked, and the report
                // says so (issue 19).
                .body("evaluationNotes.code", hasItem("no-helm-release"))
                .body("evaluationNotes.policy", hasItem("report-ha"));
        List<String> rules = given().get("/api/v1/reports/latest/policies/report-jobs").then().statusCode(200)
                .body("policy", equalTo("report-jobs")).extract().path("findings.rule");
        assertTrue(rules.contains("injection-job-sidecar"), rules::toString);
        given().get("/api/v1/reports/latest/policies/no-such-policy").then().statusCode(404);

        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("meshwarden_findings{") && l.contains(
                "policy=\"report-jobs\"") && l.contains("type=\"InjectionExclusion\"")), metrics);
        // The gauge reads this application's report: the test JVM starts several applications, and a gauge bound to
        // an earlier one's bean would show its stale score or vanish (observe/MetersOnShutdown).
        double score = ((Number) given().get("/api/v1/reports/latest").path("summary.score")).doubleValue();
        String scoreLine = metrics.lines().filter(l -> l.startsWith("meshwarden_compliance_score")).findFirst()
                .orElseThrow(() -> new AssertionError("no meshwarden_compliance_score in\n" + metrics));
        assertEquals(score, Double.parseDouble(scoreLine.substring(scoreLine.lastIndexOf(' ') + 1)), 1e-9,
                scoreLine);
        assertTrue(metrics.contains("meshwarden_audit_runs_total{outcome=\"success\"}"));

        // Fixing the CronJob in the cluster clears its finding and its metric series on the next audit.
        k.batch().v1().cronjobs().inNamespace("batch").withName("nightly").edit(c -> {
            c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels()
                    .put("sidecar.istio.io/inject", "false");
            return c;
        });
        given().post("/api/v1/audits").then().statusCode(200);
        given().get("/api/v1/reports/latest/policies/report-jobs").then().statusCode(200).body("count", equalTo(0));
        assertFalse(given().get("/q/metrics").asString().lines().anyMatch(l -> l.startsWith("meshwarden_findings{")
                && l.contains("policy=\"report-jobs\"")));
    }
}

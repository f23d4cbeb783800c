package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.HelmEncoding;
import io.meshwarden.testing.RunPolling;
import io.meshwarden.testing.Workloads;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ClusterProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class RunApiTest {
    static {
        YamlBodies.install();
    }

    @KubernetesTestServer
    KubernetesServer server;

    private String cronJobLabel(KubernetesClient k) {
        CronJob c = k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").get();
        Map<String, String> labels = c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels();
        return labels.get("sidecar.istio.io/inject");
    }

    private void cluster(KubernetesClient k) {
        for (String ns : List.of("runs-apps", "runs-batch")) {
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
                    .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        }
        k.apps().deployments().inNamespace("runs-apps").resource(new DeploymentBuilder().withNewMetadata()
                .withName("web").withNamespace("runs-apps").addToLabels("app", "web").endMetadata().withNewSpec()
                .withReplicas(2).withNewSelector().addToMatchLabels("app", "web").endSelector().withNewTemplate()
                .withNewMetadata().addToLabels("app", "web").endMetadata().withNewSpec().addNewContainer()
                .withName("web").withImage("web").endContainer().endSpec().endTemplate().endSpec().build()).create();
        k.batch().v1().cronjobs().inNamespace("runs-batch").resource(Workloads.nightlyCronJob("runs-batch")).create();
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: runs-jobs}
                spec:
                  type: InjectionExclusion
                  mode: enforce
                  target: {namespaces: {include: [runs-batch]}}
                  parameters: {whenNativeSidecars: enforce}
                """).post("/api/v1/policies").then().statusCode(201);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: runs-sizing}
                spec:
                  type: ProxySizing
                  mode: enforce
                  target: {namespaces: {include: [runs-apps]}}
                  parameters: {requests: {cpu: 50m, memory: 96Mi}, limits: {cpu: "1", memory: 512Mi}}
                """).post("/api/v1/policies").then().statusCode(201);
    }

    @Test
    void onlyTheLatestDryRunsAreKept() {
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(given().post("/api/v1/runs?dryRun=true").then().statusCode(201).extract().path("id"));
        }
        List<String> listed = given().get("/api/v1/runs").then().statusCode(200).extract().path("id");
        assertTrue(listed.containsAll(ids.subList(1, 4)), listed.toString());
        assertTrue(!listed.contains(ids.get(0)), "the oldest of four dry runs is dropped (dry-runs-kept 3)");
        given().get("/api/v1/runs/" + ids.get(0)).then().statusCode(404);
        given().get("/api/v1/runs/" + ids.get(3)).then().statusCode(200).body("dryRun", equalTo(true));
    }

    @Test
    void dryRunThenApplyThenNothingToDoThenRevert() {
        KubernetesClient k = server.getClient();
        cluster(k);

        Response dry = given().post("/api/v1/runs?dryRun=true");
        dry.then().statusCode(201).header("Location", containsString("/api/v1/runs/"))
                .body("dryRun", equalTo(true)).body("outcome", equalTo("planned"))
                .body("plan.changes.target.kind", hasItems("CronJob", "Deployment"))
                .body("outcomes.status", hasItem("WOULD_APPLY"))
                .body("plan.changes.wouldApply", everyItem(equalTo(true)));
        given().get("/api/v1/runs").then().statusCode(200).body("find { it.id == '" + dry.path("id") + "' }.applied",
                equalTo(0)).body("find { it.id == '" + dry.path("id") + "' }.planned", equalTo(2));
        // Pod-restarting changes come after those that restart nothing.
        List<Boolean> restarts = dry.path("plan.changes.restartsPods");
        assertEquals(restarts.stream().sorted().toList(), restarts);
        assertNotEquals("false", cronJobLabel(k), "a dry run writes nothing");

        // Applied in the background: the CronJob (restarts nothing) first, then the Deployment restart, which the mock
        // never rolls out, so the run halts at the rollout deadline.
        Response started = given().post("/api/v1/runs");
        started.then().statusCode(202).body("outcome", equalTo("running"))
                .body("plan.changes.size()", equalTo(2));
        String runId = started.path("id");
        Response applied = awaitFinished(runId);
        applied.then().body("outcome", equalTo("halted")).body("halt.reason", equalTo("DEADLINE_EXCEEDED"))
                .body("halt.workload.name", equalTo("web"));
        assertEquals("false", cronJobLabel(k));
        Deployment web = k.apps().deployments().inNamespace("runs-apps").withName("web").get();
        Map<String, String> ann = web.getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals("50m", ann.get("sidecar.istio.io/proxyCPU"));
        assertEquals("512Mi", ann.get("sidecar.istio.io/proxyMemoryLimit"));
        assertEquals("runs-sizing", web.getMetadata().getAnnotations().get("meshwarden.io/applied-by"));

        // Compliant now: the next run has nothing to do.
        given().post("/api/v1/runs").then().statusCode(200).body("outcome", equalTo("nothing-to-do"))
                .body("plan.changes.size()", equalTo(0));
        given().get("/api/v1/runs").then().statusCode(200).body("id", hasItems(runId, dry.path("id")));
        given().get("/api/v1/runs/" + runId).then().statusCode(200).body("outcomes.apply.revertPatch",
                org.hamcrest.Matchers.notNullValue());
        given().get("/api/v1/runs/nope").then().statusCode(404);
        given().post("/api/v1/runs/" + dry.path("id") + "/revert").then().statusCode(409);

        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("meshwarden_enforce_runs_total{outcome=\"halted\"}"), metrics);
        assertTrue(metrics.contains("meshwarden_enforce_changes_total{result=\"applied\"}"));
        assertTrue(metrics.contains("meshwarden_enforce_rollout_halts_total{reason=\"DEADLINE_EXCEEDED\"}"));
        given().get("/q/health/group/enforcer").then().statusCode(200).body("status", equalTo("UP"));

        // Someone changes a field the run did not write (its resourceVersion moves on, as a controller's status write
        // does on a real cluster): the revert still goes ahead and keeps that change.
        k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").edit(c -> {
            c.getSpec().setSchedule("0 4 * * *");
            return c;
        });
        // The Deployment's revert restarts pods: it goes through the rollout budget, in the background.
        given().post("/api/v1/runs/" + runId + "/revert").then().statusCode(202).body("outcome", equalTo("reverting"));
        awaitFinished(runId).then().body("outcome", equalTo("reverted"))
                .body("reverted.result", everyItem(equalTo("reverted")))
                .body("revert.halt.reason", equalTo("DEADLINE_EXCEEDED"))
                .body("revert.holds.runId", everyItem(equalTo(runId)))
                .body("revert.holds.target.kind", hasItems("CronJob", "Deployment"));
        assertNotEquals("false", cronJobLabel(k), "the label is gone again");
        assertEquals("0 4 * * *", k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").get()
                .getSpec().getSchedule(), "the other change is kept");
        assertEquals(null, k.apps().deployments().inNamespace("runs-apps").withName("web").get().getSpec()
                .getTemplate().getMetadata().getAnnotations().get("sidecar.istio.io/proxyCPU"));
        given().post("/api/v1/runs/" + runId + "/revert").then().statusCode(409);

        // The revert sticks: the reverted objects are on hold for the run's policies, in dry runs too.
        assertEquals("runs-jobs", k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").get()
                .getMetadata().getAnnotations().get("meshwarden.io/hold"));
        assertEquals(runId, k.apps().deployments().inNamespace("runs-apps").withName("web").get().getMetadata()
                .getAnnotations().get("meshwarden.io/hold-run"));
        given().post("/api/v1/runs?dryRun=true").then().statusCode(201).body("plan.changes.size()", equalTo(0))
                .body("plan.skipped.reason", everyItem(startsWith("on hold since revert of run " + runId)));
        given().post("/api/v1/runs").then().statusCode(200).body("outcome", equalTo("nothing-to-do"))
                .body("plan.skipped.size()", equalTo(2));
        assertNotEquals("false", cronJobLabel(k), "held: not re-applied");
        metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("meshwarden_enforce_changes_total{result=\"skipped\"}"), metrics);

        // Released: the run's policies change those objects again.
        given().post("/api/v1/runs/" + runId + "/release").then().statusCode(200)
                .body("revert.releasedBy", notNullValue());
        given().post("/api/v1/runs/" + runId + "/release").then().statusCode(409);
        assertEquals(null, k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").get()
                .getMetadata().getAnnotations().get("meshwarden.io/hold"));

        // A run is not reverted when a field it wrote changed since: that would overwrite someone's newer change.
        // Other fields changing (here the schedule) do not matter: the revert only restores what the run wrote.
        String second = given().post("/api/v1/runs").then().statusCode(202).extract().path("id");
        awaitFinished(second).then().body("outcome", equalTo("halted"));
        k.batch().v1().cronjobs().inNamespace("runs-batch").withName("nightly").edit(c -> {
            c.getSpec().setSchedule("0 3 * * *");
            c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels()
                    .put("sidecar.istio.io/inject", "maybe");
            return c;
        });
        given().post("/api/v1/runs/" + second + "/revert").then().statusCode(409)
                .body("detail", containsString("CronJob"));
        assertEquals("maybe", cronJobLabel(k), "nothing was reverted");
    }

    @Test
    void aDryRunPreviewsAuditModePoliciesWhichAnEnforcingRunLeavesAlone() {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("runs-preview")
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        k.apps().deployments().inNamespace("runs-preview").resource(new DeploymentBuilder().withNewMetadata()
                .withName("shop").withNamespace("runs-preview").endMetadata().withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app", "shop").endSelector().withNewTemplate().withNewMetadata()
                .addToLabels("app", "shop").endMetadata().withNewSpec().addNewContainer().withName("shop")
                .withImage("shop").endContainer().endSpec().endTemplate().endSpec().build()).create();
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: preview-sizing}
                spec:
                  type: ProxySizing
                  mode: audit
                  target: {namespaces: {include: [runs-preview]}}
                  parameters: {requests: {cpu: 50m, memory: 96Mi}, limits: {cpu: "1", memory: 512Mi}}
                """).post("/api/v1/policies").then().statusCode(201);
        try {
            String id = given().post("/api/v1/runs?dryRun=true").then().statusCode(201).extract().path("id");
            given().get("/api/v1/runs/" + id).then().statusCode(200)
                    .body("plan.changes.find { it.target.name == 'shop' }.wouldApply", equalTo(false))
                    .body("plan.changes.find { it.target.name == 'shop' }.policies", hasItem("preview-sizing"));
            Response run = given().post("/api/v1/runs");
            List<String> names = run.path("plan.changes.target.name");
            assertTrue(!names.contains("shop"), "an enforcing run applies no audit-mode change: " + names);
            if (run.statusCode() == 202) {
                awaitFinished(run.path("id"));
            }
        } finally {
            given().delete("/api/v1/policies/preview-sizing").then().statusCode(204);
        }
    }

    @Test
    void enforcerHealthGoesDownAfterConsecutiveFailedRunsAndRecovers() {
        KubernetesClient k = server.getClient();
        // The mock validates nothing: an HPA without maxReplicas makes every read of the cluster fail.
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("runs-broken").endMetadata()
                .build()).create();
        k.resource("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: broken, namespace: runs-broken}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nothing}
                """).create();
        try {
            for (int i = 0; i < 3; i++) {
                given().post("/api/v1/runs").then().statusCode(201).body("outcome", equalTo("failed"))
                        .body("error", containsString("maxReplicas"));
            }
            given().get("/q/health/group/enforcer").then().statusCode(503).body("status", equalTo("DOWN"))
                    .body("checks[0].data.consecutiveFailures", equalTo(3));
        } finally {
            k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("runs-broken").withName("broken").delete();
        }
        Response recovered = given().post("/api/v1/runs");
        if (recovered.statusCode() == 202) {
            awaitFinished(recovered.path("id"));
        }
        given().get("/q/health/group/enforcer").then().statusCode(200).body("status", equalTo("UP"));
    }

    private static Response awaitFinished(String id) {
        return RunPolling.awaitFinished(RestAssured::given, id);
    }

    @Test
    void helmOverlayForValuesBelowTheMinimum() {
        KubernetesClient k = server.getClient();
        ObjectNode release = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        release.put("name", "istiod").put("namespace", "istio-system").put("version", 3);
        release.putObject("info").put("status", "deployed");
        ObjectNode chart = release.putObject("chart");
        chart.putObject("metadata").put("name", "istiod").put("version", "1.26.3").put("appVersion", "1.26.3");
        chart.putObject("values").putObject("pilot").put("autoscaleEnabled", true).put("autoscaleMin", 1)
                .put("autoscaleMax", 5);
        release.putObject("config");
        k.secrets().inNamespace("istio-system").resource(new SecretBuilder().withNewMetadata()
                .withName("sh.helm.release.v1.istiod.v3").withNamespace("istio-system").addToLabels("owner", "helm")
                .addToLabels("name", "istiod").addToLabels("status", "deployed").addToLabels("version", "3")
                .endMetadata().withType("helm.sh/release.v1").addToData("release", HelmEncoding.secretData(release))
                .build()).create();
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: helm-ha}
                spec: {type: HaMinimum, parameters: {components: [istiod], autoscaleMin: 2, autoscaleMax: 5}}
                """).post("/api/v1/policies").then().statusCode(201);
        given().post("/api/v1/audits").then().statusCode(200);
        given().get("/api/v1/helm/istio-system/istiod/overlay").then().statusCode(200)
                .body("chart", equalTo("istiod")).body("compliant", equalTo(false))
                .body("overlay.pilot.autoscaleMin", equalTo(2))
                // The release's own chart at its own version (a repo chart without --version would upgrade Istio).
                .body("command", allOf(startsWith("helm upgrade istiod <repo>/istiod -n istio-system --version "),
                        endsWith(" --reuse-values -f overlay.yaml"), not(containsString("--version null"))))
                .body("findings", hasItem("helm-ha/ha-helm-autoscale-min"));
        String yaml = given().accept("application/yaml").get("/api/v1/helm/istio-system/istiod/overlay").then()
                .statusCode(200).extract().asString();
        assertTrue(yaml.contains("autoscaleMin: 2"), yaml);
        given().get("/api/v1/helm/istio-system/nope/overlay").then().statusCode(404);
    }
}

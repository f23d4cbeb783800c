package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.testing.RunPolling;
import io.meshwarden.testing.Workloads;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(ClusterProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class OnboardingApiTest {
    static {
        YamlBodies.install();
    }

    @KubernetesTestServer
    KubernetesServer server;

    private static void create(KubernetesClient k, String yaml) {
        k.resource(yaml).create();
    }

    /** A Deployment with {@code n} running pods, owned through its ReplicaSet, with or without istio-proxy. */
    private static void deployment(KubernetesClient k, String ns, String name, int n, boolean proxy) {
        create(k, Workloads.deploymentYaml(ns, name, n));
        for (int i = 0; i < n; i++) {
            create(k, """
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: %s-abc12-%d
                      namespace: %s
                      labels: {app: %s, pod-template-hash: abc12}
                      annotations: %s
                      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s-abc12, uid: r, controller: true}]
                    spec: {containers: %s}
                    status: {phase: Running}
                    """.formatted(name, i, ns, name, proxy ? "{sidecar.istio.io/status: '{\"revision\":\"default\"}'}"
                    : "{}", name, proxy ? "[{name: app, image: app}, {name: istio-proxy, image: proxyv2}]"
                    : "[{name: app, image: app}]"));
        }
    }

    private void cluster(KubernetesClient k) {
        create(k, "apiVersion: v1\nkind: Namespace\nmetadata: {name: onb-shop, labels: {istio-injection: enabled}}\n");
        create(k, "apiVersion: v1\nkind: Namespace\nmetadata: {name: onb-legacy}\n");
        deployment(k, "onb-shop", "small", 1, false);
        deployment(k, "onb-shop", "big", 3, false);
        deployment(k, "onb-shop", "scaled", 1, false);
        deployment(k, "onb-shop", "done", 2, true);
        deployment(k, "onb-legacy", "old", 1, true);
        create(k, """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: scaled, namespace: onb-shop}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}
                  minReplicas: 1
                  maxReplicas: 6
                status: {desiredReplicas: 1}
                """);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: onb}
                spec:
                  type: SidecarCoverage
                  target: {namespaces: {include: [onb-shop, onb-legacy]}}
                  parameters: {batchSize: 2}
                """).post("/api/v1/policies").then().statusCode(201);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: onb-sizing}
                spec:
                  type: ProxySizing
                  target: {namespaces: {include: [onb-shop]}}
                  parameters: {requests: {cpu: 50m, memory: 96Mi}, limits: {cpu: "1", memory: 512Mi}}
                """).post("/api/v1/policies").then().statusCode(201);
    }

    @Test
    void dryRunListsEveryWorkloadInOrderWithItsBatchPatchAndHpa() {
        KubernetesClient k = server.getClient();
        cluster(k);
        try {
            Response dry = given().post("/api/v1/onboarding/onb/dry-run");
            dry.then().statusCode(200).contentType(containsString("application/json"))
                    .body("policy", equalTo("onb")).body("mode", equalTo("audit"))
                    .body("batchSize", equalTo(2)).body("batches", equalTo(2)).body("presizeProxies", equalTo(true))
                    .body("restartedAt", notNullValue());
            List<String> order = dry.path("steps.change.target.name");
            // Without an HPA first, smallest first, ties by namespace: onb-legacy before onb-shop.
            assertEquals(List.of("old", "small", "big", "scaled"), order);
            assertEquals(List.of(1, 1, 2, 2), dry.path("steps.batch"));
            assertEquals(List.of(false, false, false, true), dry.path("steps.scaledByHpa"));
            assertEquals(List.of(false, true, true, true), dry.path("steps.sidecarAfter"));
            assertEquals(List.of(1, 1, 3, 1), dry.path("steps.runningPods"));
            dry.then().body("steps[3].hpa.name", equalTo("scaled")).body("steps[3].hpa.maxReplicas", equalTo(6))
                    .body("steps[0].hpa", nullValue())
                    .body("losesSidecar", equalTo(List.of("Deployment onb-legacy/old")))
                    .body("notes.find { it.code == 'loses-sidecar' }.message", containsString("mTLS"))
                    .body("steps[0].change.rules", equalTo(List.of("coverage-sidecar-lingering")))
                    .body("steps[1].change.rules", equalTo(List.of("coverage-sidecar-missing")));
            String at = dry.path("restartedAt");
            Map<String, String> old = dry.path("steps[0].change.body.spec.template.metadata.annotations");
            assertEquals(Map.of("kubectl.kubernetes.io/restartedAt", at), old, "no sidecar to size on the reverse");
            Map<String, String> small = dry.path("steps[1].change.body.spec.template.metadata.annotations");
            assertEquals(Map.of("kubectl.kubernetes.io/restartedAt", at, "sidecar.istio.io/proxyCPU", "50m",
                    "sidecar.istio.io/proxyMemory", "96Mi", "sidecar.istio.io/proxyCPULimit", "1",
                    "sidecar.istio.io/proxyMemoryLimit", "512Mi"), small);
            assertEquals(List.of("onb", "onb-sizing"), dry.path("steps[1].change.policies"));
            assertEquals(List.of("onb-sizing"), dry.path("steps[1].presizedBy"));
            dry.then().body("steps[1].change.action", equalTo("patch"))
                    .body("steps[1].change.restartsPods", equalTo(true))
                    .body("steps[1].change.id", equalTo("Deployment/onb-shop/small#1"));

            // A dry run: no workload changed.
            for (String ref : List.of("onb-shop/small", "onb-shop/big", "onb-shop/scaled", "onb-legacy/old")) {
                String[] nn = ref.split("/");
                Map<String, String> ann = k.apps().deployments().inNamespace(nn[0]).withName(nn[1]).get()
                        .getSpec().getTemplate().getMetadata().getAnnotations();
                assertTrue(ann == null || ann.isEmpty(), ref + ": " + ann);
            }

            // YAML on request, like the other resources.
            given().accept("application/yaml").post("/api/v1/onboarding/onb/dry-run").then().statusCode(200)
                    .contentType(containsString("yaml")).body(containsString("losesSidecar:"));
        } finally {
            given().delete("/api/v1/policies/onb").then().statusCode(204);
            given().delete("/api/v1/policies/onb-sizing").then().statusCode(204);
        }
    }

    /**
     * The mock API server runs no controllers: a restarted Deployment never rolls out, so the run halts on the
     * policy's deadline (1 s) at its first workload, and waits for a resume.
     */
    @Test
    void aRunHaltsRecordsItsProgressInTheClusterAndIsResumedOnlyExplicitly() {
        KubernetesClient k = server.getClient();
        create(k, "apiVersion: v1\nkind: Namespace\nmetadata: {name: onr-shop, labels: {istio-injection: enabled}}\n");
        deployment(k, "onr-shop", "one", 1, false);
        deployment(k, "onr-shop", "two", 2, false);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: onr}
                spec:
                  type: SidecarCoverage
                  target: {namespaces: {include: [onr-shop]}}
                  parameters: {batchSize: 1, halt: {deadlineSeconds: 1}}
                """).post("/api/v1/policies").then().statusCode(201);
        try {
            given().get("/api/v1/onboarding/onr").then().statusCode(404)
                    .body("detail", equalTo("no onboarding of policy 'onr'"));
            given().post("/api/v1/onboarding/onr/resume").then().statusCode(409)
                    .body("detail", containsString("has no onboarding to resume"));

            Response started = given().post("/api/v1/onboarding/onr");
            started.then().statusCode(202).body("progress.state", equalTo("running"))
                    .body("progress.progress", equalTo("0 of 2 workloads"))
                    .body("plan.steps.change.target.name", equalTo(List.of("one", "two")));
            String run = started.path("run");
            Response finished = RunPolling.awaitFinished(() -> given(), run);
            finished.then().body("trigger", equalTo("onboarding")).body("outcome", equalTo("halted"))
                    .body("halt.reason", equalTo("DEADLINE_EXCEEDED"))
                    .body("outcomes.status", equalTo(List.of("APPLIED", "DEFERRED")));

            Response progress = given().get("/api/v1/onboarding/onr");
            progress.then().statusCode(200).body("state", equalTo("halted")).body("run", equalTo(run))
                    .body("halt.reason", equalTo("DEADLINE_EXCEEDED"))
                    .body("halt.workload", equalTo("Deployment onr-shop/one"))
                    .body("current", equalTo(List.of("Deployment onr-shop/one")))
                    .body("progress", equalTo("0 of 2 workloads")).body("left", equalTo(2));
            String annotation = k.namespaces().withName("onr-shop").get().getMetadata().getAnnotations()
                    .get("meshwarden.io/onboarding");
            assertTrue(annotation.contains("\"state\":\"halted\""), annotation);
            String restartedAt = progress.path("restartedAt");
            assertEquals(restartedAt, k.apps().deployments().inNamespace("onr-shop").withName("one").get().getSpec()
                    .getTemplate().getMetadata().getAnnotations().get("kubectl.kubernetes.io/restartedAt"));
            Map<String, String> two = k.apps().deployments().inNamespace("onr-shop").withName("two").get()
                    .getSpec().getTemplate().getMetadata().getAnnotations();
            assertTrue(two == null || two.isEmpty(), "the rest waits: " + two);

            // A halted onboarding is not started over: it is resumed.
            given().post("/api/v1/onboarding/onr").then().statusCode(409)
                    .body("detail", containsString("POST /api/v1/onboarding/onr/resume"));
            Response resumed = given().post("/api/v1/onboarding/onr/resume");
            resumed.then().statusCode(202).body("progress.restartedAt", equalTo(restartedAt))
                    .body("progress.previousRuns", equalTo(List.of(run)));
            Response again = RunPolling.awaitFinished(() -> given(), resumed.path("run"));
            // "one" already carries the restart: not sent again, waited for (and halts again: nothing rolls out).
            again.then().body("trigger", equalTo("onboarding (resumed " + run + ")"))
                    .body("outcomes[0].status", equalTo("UNCHANGED"))
                    .body("halt.reason", equalTo("DEADLINE_EXCEEDED"))
                    .body("halt.detail", containsString("restarted before the resume"));
            // The onboarding's changes are a run's: reverted the same way (the restart annotation removed, which
            // restarts the pods once more, through the budget; the namespace label is not Meshwarden's to undo).
            given().post("/api/v1/runs/" + resumed.path("run") + "/revert").then().statusCode(409)
                    .body("detail", containsString("applied nothing to revert"));
            given().post("/api/v1/runs/" + run + "/revert").then().statusCode(202).body("outcome", equalTo("reverting"));
            RunPolling.awaitFinished(() -> given(), run).then().body("reverted[0].target",
                    equalTo("Deployment onr-shop/one"));
            Map<String, String> one = k.apps().deployments().inNamespace("onr-shop").withName("one").get().getSpec()
                    .getTemplate().getMetadata().getAnnotations();
            // (The CRUD mock keeps a merge patch's null as a value; a real API server deletes the key.)
            assertTrue(one == null || one.get("kubectl.kubernetes.io/restartedAt") == null, "reverted: " + one);
            assertTrue(given().get("/q/metrics").asString()
                    .contains("meshwarden_onboarding_workloads_total{policy=\"onr\"} 2.0"));
        } finally {
            given().delete("/api/v1/policies/onr").then().statusCode(204);
        }
    }

    @Test
    void anUnknownPolicyIs404AndAPolicyOfAnotherTypeIs422() {
        given().post("/api/v1/onboarding/nope/dry-run").then().statusCode(404)
                .contentType(containsString("application/problem+json"))
                .body("detail", equalTo("no policy 'nope'"));
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: onb-other}
                spec:
                  type: ProxySizing
                  parameters: {requests: {cpu: 50m, memory: 96Mi}}
                """).post("/api/v1/policies").then().statusCode(201);
        try {
            given().post("/api/v1/onboarding/onb-other/dry-run").then().statusCode(422)
                    .contentType(containsString("application/problem+json"))
                    .body("type", equalTo("https://meshwarden.io/problems/not-an-onboarding-policy"))
                    .body("violations[0].field", equalTo("path/policy"))
                    .body("violations[0].reason", containsString("is of type ProxySizing"));
        } finally {
            given().delete("/api/v1/policies/onb-other").then().statusCode(204);
        }
        // The routes are POST (start), POST .../resume, POST .../dry-run and GET: the rest is 404 or 405.
        given().get("/api/v1/onboarding/onb-other/dry-run").then().statusCode(405);
        given().post("/api/v1/onboarding/onb-other").then().statusCode(404);
        given().post("/api/v1/onboarding/onb-other/run").then().statusCode(404);
    }

    @Test
    void theOperationIsInTheOpenApiDocument() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("paths.'/api/v1/onboarding/{policy}/dry-run'.post.summary", notNullValue())
                .body("paths.'/api/v1/onboarding/{policy}/dry-run'.post.responses.'422'.description",
                        notNullValue())
                .body("paths.'/api/v1/onboarding/{policy}'.post.responses.'202'.description", notNullValue())
                .body("paths.'/api/v1/onboarding/{policy}'.post.responses.'409'.description", notNullValue())
                .body("paths.'/api/v1/onboarding/{policy}'.get.responses.'200'.description", notNullValue())
                .body("paths.'/api/v1/onboarding/{policy}/resume'.post.responses.'409'.description",
                        notNullValue());
    }
}

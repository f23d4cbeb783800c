package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.Response;
import io.meshwarden.testing.RunPolling;
import io.restassured.RestAssured;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A run against an API server that keeps failing part way, through the service: the run record says what was
 * applied, what failed and what was not attempted, and why; the next run applies only the rest.
 */
@QuarkusTest
@TestProfile(RunFaultsApiTest.Profile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class RunFaultsApiTest {
    static {
        YamlBodies.install();
    }

    /** The cluster profile with small retry bounds, so that giving up takes milliseconds. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> m = new HashMap<>(new ClusterProfile().getConfigOverrides());
            m.put("meshwarden.retry.max-attempts", "3");
            m.put("meshwarden.retry.initial-backoff", "10ms");
            m.put("meshwarden.retry.max-backoff", "50ms");
            return m;
        }
    }

    private static final String NS = "faults-batch";

    @KubernetesTestServer
    KubernetesServer server;

    private static String label(KubernetesClient k, String name) {
        CronJob c = k.batch().v1().cronjobs().inNamespace(NS).withName(name).get();
        return c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels()
                .get("sidecar.istio.io/inject");
    }

    @Test
    void runStoppedByTheApiServerIsIncompleteAndTheNextRunResumes() {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        for (String name : List.of("first", "second", "third")) {
            k.batch().v1().cronjobs().inNamespace(NS).resource(new CronJobBuilder().withNewMetadata().withName(name)
                    .withNamespace(NS).endMetadata().withNewSpec().withSchedule("0 2 * * *").withNewJobTemplate()
                    .withNewSpec().withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
                    .withNewSpec().addNewContainer().withName("job").withImage("job").endContainer()
                    .withRestartPolicy("OnFailure").endSpec().endTemplate().endSpec().endJobTemplate().endSpec()
                    .build()).create();
        }
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: faults-jobs}
                spec:
                  type: InjectionExclusion
                  mode: enforce
                  target: {namespaces: {include: [faults-batch]}}
                """).post("/api/v1/policies").then().statusCode(201);
        // Every attempt at the second CronJob (in plan order) gets a 503, as many as the retry bound allows; then the
        // API server recovers.
        server.expect().patch()
                .withPath("/apis/batch/v1/namespaces/" + NS + "/cronjobs/second?fieldManager=meshwarden")
                .andReturn(503, new StatusBuilder().withStatus("Failure").withCode(503).withReason("ServiceUnavailable")
                        .withMessage("etcd is unavailable").build()).times(3);

        Response started = given().post("/api/v1/runs");
        started.then().statusCode(202).body("plan.changes.size()", equalTo(3));
        Response run = awaitFinished(started.path("id"));

        run.then().body("outcome", equalTo("incomplete")).body("halt.reason", equalTo("API_UNAVAILABLE"))
                .body("halt.changeId", equalTo("CronJob/" + NS + "/second#1"))
                .body("halt.detail", containsString("HTTP 503: etcd is unavailable (gave up after 3 attempts)"))
                .body("outcomes.status", equalTo(List.of("APPLIED", "FAILED", "DEFERRED")))
                .body("outcomes[2].detail", startsWith("deferred: rollout halted, API_UNAVAILABLE"));
        assertEquals("false", label(k, "first"));
        assertNotEquals("false", label(k, "second"));
        assertNotEquals("false", label(k, "third"));
        given().get("/api/v1/runs").then().body("[0].outcome", equalTo("incomplete")).body("[0].applied", equalTo(1))
                .body("[0].failed", equalTo(1)).body("[0].deferred", equalTo(1));
        given().get("/q/health/group/enforcer").then().body("checks[0].data.consecutiveFailures", equalTo(1));

        Response again = given().post("/api/v1/runs");
        again.then().statusCode(202).body("plan.changes.id", equalTo(List.of("CronJob/" + NS + "/second#1",
                "CronJob/" + NS + "/third#1")));
        awaitFinished(again.path("id")).then().body("outcome", equalTo("applied"))
                .body("outcomes.status", equalTo(List.of("APPLIED", "APPLIED")));
        assertEquals("false", label(k, "second"));
        assertEquals("false", label(k, "third"));
        given().get("/q/health/group/enforcer").then().body("status", equalTo("UP"))
                .body("checks[0].data.consecutiveFailures", equalTo(0));
        String metrics = given().get("/q/metrics").asString();
        assertEquals(true, metrics.contains("meshwarden_enforce_runs_total{outcome=\"incomplete\"}"), metrics);
        assertEquals(true, metrics.contains("meshwarden_enforce_rollout_halts_total{reason=\"API_UNAVAILABLE\"}"));
    }

    private static Response awaitFinished(String id) {
        return RunPolling.awaitFinished(RestAssured::given, id);
    }
}

package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshwarden.testing.RunPolling;
import io.meshwarden.testing.Workloads;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A run whose plan takes longer than {@code meshwarden.enforce.answer-within} is answered while it plans (202, empty
 * plan, outcome running) instead of holding the request past the HTTP idle timeout; its record then carries the plan.
 * The bound is 0 here, so every run answers before its plan.
 */
@QuarkusTest
@TestProfile(RunPlanningApiTest.AnswerAtOnce.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class RunPlanningApiTest {
    static {
        YamlBodies.install();
    }

    public static class AnswerAtOnce extends ClusterProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("meshwarden.enforce.answer-within", "0s");
            return config;
        }
    }

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void aDryRunStillPlanningIsAnswered202AndItsRecordGetsThePlan() {
        Workloads.injectedCronJobs(server.getClient(), "plan-batch", 3);
        given().contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: plan-jobs}
                spec:
                  type: InjectionExclusion
                  mode: enforce
                  target: {namespaces: {include: [plan-batch]}}
                  parameters: {whenNativeSidecars: enforce}
                """).post("/api/v1/policies").then().statusCode(201);

        Response answer = given().post("/api/v1/runs?dryRun=true");
        answer.then().statusCode(202).body("outcome", equalTo("running")).body("dryRun", equalTo(true))
                .body("plan.changes.size()", equalTo(0)).body("finishedAt", nullValue())
                .header("Location", endsWith("/api/v1/runs/" + answer.path("id")));
        String id = answer.path("id");
        // While it plans, a second run is refused, not queued.
        Response second = given().post("/api/v1/runs?dryRun=true");
        if (second.statusCode() != 409) {
            // The first had finished planning already: then the second is a run of its own.
            assertEquals(202, second.statusCode(), second.asString());
        }

        Response done = RunPolling.awaitFinished(() -> given(), id);
        done.then().statusCode(200).body("outcome", equalTo("planned"))
                .body("plan.changes.target.name", hasItem("job-02")).body("plan.changes.size()", equalTo(3));
        List<String> ids = given().get("/api/v1/runs").path("id");
        assertEquals(1, ids.stream().filter(id::equals).count(), "the placeholder was replaced, not kept beside: "
                + ids);
    }
}

package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Event;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult.Status;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApplierTest {
    static final String HPA = "/apis/autoscaling/v2/namespaces/istio-system/horizontalpodautoscalers/istiod";
    static final String CRONJOB = "/apis/batch/v1/namespaces/apps/cronjobs/report";
    static final String FILTER = "/apis/networking.istio.io/v1alpha3/namespaces/istio-ingress/envoyfilters/"
            + "meshwarden-strip-headers";
    static final String HPA_ID = "HorizontalPodAutoscaler/istio-system/istiod#1";
    static final String CRONJOB_ID = "CronJob/apps/report#1";
    static final String FILTER_ID = "EnvoyFilter/istio-ingress/meshwarden-strip-headers#1";
    static final String PDB_ID = "PodDisruptionBudget/istio-system/istiod-meshwarden#1";
    static final String WEB_ID = "Deployment/apps/web#1";
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);

    private MockCluster cluster;

    @BeforeEach
    void start() {
        cluster = new MockCluster();
        nonCompliantCluster();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    static List<MeshPolicy> policies(String mode) {
        return List.of(MockCluster.policy("ha", "HaMinimum", mode, "{components: [istiod]}"),
                MockCluster.policy("jobs", "InjectionExclusion", mode, "{}"),
                MockCluster.policy("headers", "HeaderRemoval", mode, "{}"),
                MockCluster.policy("sizing", "ProxySizing", mode,
                        "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 1000m, memory: 512Mi}}"));
    }

    private Plan plan(List<MeshPolicy> policies) {
        ClusterSnapshot snapshot = cluster.read();
        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        return Planner.plan(policies, result, snapshot);
    }

    private Applier applier() {
        return new Applier(cluster.client, CLOCK);
    }

    @Test
    void enforcesANonCompliantClusterAndThenWritesNothing() {
        List<MeshPolicy> policies = policies("enforce");
        Plan plan = plan(policies);

        List<String> ids = new ArrayList<>();
        plan.changes().forEach(c -> ids.add(c.id()));
        assertEquals(List.of(CRONJOB_ID, FILTER_ID, HPA_ID, PDB_ID, WEB_ID), ids, "restarting change last");
        assertTrue(plan.changes().stream().noneMatch(c -> c.target().kind().equals("Job")));
        assertTrue(plan.changes().stream().noneMatch(c -> MergePatch.sets(c.body(), "spec.replicas")));
        assertTrue(plan.changes().get(4).restartsPods());
        assertTrue(plan.skipped().stream().anyMatch(s -> s.target().kind().equals("Job")
                && s.target().name().equals("migrate")), () -> plan.skipped().toString());
        assertTrue(plan.skipped().stream().anyMatch(s -> "values-overlay".equals(s.action())
                && s.reason().equals(Planner.VALUES_OVERLAY_REASON)
                && s.target().equals(ResourceRef.helmRelease("istio-system", "istiod"))),
                () -> plan.skipped().toString());
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        assertEquals(5, result.applied().size(), () -> result.outcomes().toString());
        ObjectNode hpa = cluster.get("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod");
        assertEquals(2, hpa.at("/spec/minReplicas").asInt());
        assertEquals("ha", hpa.at("/metadata/annotations").path(Applier.APPLIED_BY).asText());
        ObjectNode istiod = cluster.get("apps/v1", "Deployment", "istio-system", "istiod");
        assertEquals(1, istiod.at("/spec/replicas").asInt(), "the HPA owns istiod's replicas");
        ObjectNode cron = cluster.get("batch/v1", "CronJob", "apps", "report");
        assertEquals("false", cron.at("/spec/jobTemplate/spec/template/metadata/labels")
                .path("sidecar.istio.io/inject").asText());
        assertEquals("report", cron.at("/spec/jobTemplate/spec/template/metadata/labels/job").asText(),
                "other labels kept");
        ObjectNode job = cluster.get("batch/v1", "Job", "apps", "migrate");
        assertTrue(job.at("/spec/template/metadata/labels").path("sidecar.istio.io/inject").isMissingNode());
        ObjectNode web = cluster.get("apps/v1", "Deployment", "apps", "web");
        JsonNode annotations = web.at("/spec/template/metadata/annotations");
        assertEquals("100m", annotations.path("sidecar.istio.io/proxyCPU").asText());
        assertEquals("128Mi", annotations.path("sidecar.istio.io/proxyMemory").asText());
        assertEquals("1000m", annotations.path("sidecar.istio.io/proxyCPULimit").asText());
        assertEquals("512Mi", annotations.path("sidecar.istio.io/proxyMemoryLimit").asText());
        assertEquals("sizing", web.at("/metadata/annotations").path(Applier.APPLIED_BY).asText());
        ObjectNode filter = cluster.get("networking.istio.io/v1alpha3", "EnvoyFilter", "istio-ingress",
                "meshwarden-strip-headers");
        assertEquals("meshwarden", filter.at("/metadata/labels").path(Applier.MANAGED_BY).asText());
        assertEquals("headers", filter.at("/metadata/annotations").path(Applier.APPLIED_BY).asText());
        ObjectNode pdb = cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden");
        assertEquals("meshwarden", pdb.at("/metadata/labels").path(Applier.MANAGED_BY).asText());
        assertEquals(1, pdb.at("/spec/maxUnavailable").asInt());

        // Prior state for revert: exactly the touched fields, null where they were absent.
        Outcome hpaOutcome = result.of(HPA_ID);
        assertEquals(MockCluster.json("{\"spec\":{\"minReplicas\":1},\"metadata\":{\"annotations\":{\""
                + Applier.APPLIED_BY + "\":null}}}"), hpaOutcome.revertPatch());
        assertEquals(MockCluster.json("{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"metadata\":{\"labels\":"
                + "{\"sidecar.istio.io/inject\":null}}}}}},\"metadata\":{\"annotations\":{\"" + Applier.APPLIED_BY
                + "\":null}}}"), result.of(CRONJOB_ID).revertPatch());
        assertEquals(1, hpaOutcome.attempts());
        assertNull(result.of(PDB_ID).revertPatch(), "a created object is reverted by deleting it");

        // Every write is a merge patch with a resourceVersion precondition and our field manager, or a create.
        List<String> writes = cluster.dispatcher.writes();
        List<String> bodies = cluster.dispatcher.writeBodies();
        int patches = 0;
        for (int i = 0; i < writes.size(); i++) {
            if (writes.get(i).startsWith("PATCH")) {
                patches++;
                assertTrue(writes.get(i).contains("fieldManager=meshwarden"), writes.get(i));
                assertTrue(MockCluster.json(bodies.get(i)).at("/metadata/resourceVersion").isTextual(), bodies.get(i));
            }
        }
        assertEquals(3, patches);

        List<Event> events = new ArrayList<>();
        for (String ns : List.of("apps", "istio-ingress", "istio-system")) {
            events.addAll(cluster.client.v1().events().inNamespace(ns).list().getItems());
        }
        assertEquals(5, events.size(), "one Event per write");
        Event hpaEvent = events.stream().filter(e -> e.getInvolvedObject().getKind().equals("HorizontalPodAutoscaler"))
                .findFirst().orElseThrow();
        assertEquals(Applier.EVENT_REASON, hpaEvent.getReason());
        assertEquals("Normal", hpaEvent.getType());
        assertEquals("meshwarden", hpaEvent.getSource().getComponent());
        assertEquals("meshwarden", hpaEvent.getReportingComponent());
        assertEquals(hpa.at("/metadata/uid").asText(), hpaEvent.getInvolvedObject().getUid());
        assertEquals(hpaOutcome.resourceVersion(), hpaEvent.getInvolvedObject().getResourceVersion());
        assertTrue(hpaEvent.getMessage().contains("ha") && hpaEvent.getMessage().contains(HPA_ID),
                hpaEvent.getMessage());
        assertEquals("2026-11-24T12:00:00Z", hpaEvent.getLastTimestamp());

        // Idempotency: the same plan again, and a fresh read-evaluate-plan, write nothing.
        cluster.dispatcher.clear();
        ApplyResult again = applier().apply(plan, false);
        assertEquals(5, again.unchanged().size(), () -> again.outcomes().toString());
        Plan replanned = plan(policies);
        assertTrue(replanned.changes().isEmpty(), () -> replanned.changes().toString());
        assertFalse(replanned.skipped().isEmpty(), "the values overlay and the Job stay reported");
        ApplyResult third = applier().apply(replanned, false);
        assertTrue(third.outcomes().isEmpty());
        assertEquals(List.of(), cluster.dispatcher.writes());
    }

    @Test
    void auditPoliciesPlanNothing() {
        Plan plan = plan(policies("audit"));
        assertTrue(plan.isEmpty(), () -> plan.toString());
    }

    @Test
    void dryRunComputesEverythingAndWritesNothing() {
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, true);

        assertTrue(result.dryRun());
        assertEquals(5, result.withStatus(Status.WOULD_APPLY).size(), () -> result.outcomes().toString());
        assertEquals(List.of(), cluster.dispatcher.writes());
        Outcome hpa = result.of(HPA_ID);
        assertEquals(2, hpa.sent().at("/spec/minReplicas").asInt());
        assertEquals(1, hpa.revertPatch().at("/spec/minReplicas").asInt());
        assertEquals("create", result.of(PDB_ID).operation());
        assertEquals(1, cluster.get("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod")
                .at("/spec/minReplicas").asInt());
    }

    @Test
    void createNeverOverwritesAForeignObject() {
        cluster.apply("""
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: meshwarden-strip-headers, namespace: istio-ingress, labels: {team: edge}}
                spec:
                  workloadSelector: {labels: {app: other}}
                  configPatches: []
                """);
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome filter = result.of(FILTER_ID);
        assertEquals(Status.SKIPPED, filter.status());
        assertEquals("exists, not managed by meshwarden", filter.detail());
        assertTrue(cluster.dispatcher.writes().stream().noneMatch(w -> w.contains("envoyfilters")),
                () -> cluster.dispatcher.writes().toString());
        ObjectNode live = cluster.get("networking.istio.io/v1alpha3", "EnvoyFilter", "istio-ingress",
                "meshwarden-strip-headers");
        assertEquals("other", live.at("/spec/workloadSelector/labels/app").asText());
        assertEquals(4, result.applied().size());
    }

    @Test
    void ourOwnObjectThatDriftedIsPatchedBack() {
        cluster.apply("""
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata:
                  name: meshwarden-strip-headers
                  namespace: istio-ingress
                  labels: {app.kubernetes.io/managed-by: meshwarden}
                spec:
                  workloadSelector: {labels: {istio: ingressgateway}}
                  configPatches: []
                """);
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome filter = result.of(FILTER_ID);
        assertEquals(Status.APPLIED, filter.status(), filter::toString);
        assertEquals("patch", filter.operation());
        assertEquals(2, filter.sent().at("/spec/configPatches").size());
        assertEquals(0, filter.revertPatch().at("/spec/configPatches").size(), "prior value kept for revert");
        assertTrue(cluster.dispatcher.writes().stream().anyMatch(w -> w.startsWith("PATCH " + FILTER)));
    }

    @Test
    void conflictIsRetriedOnceWithTheNewResourceVersion() {
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.interfere(HPA, "{\"metadata\":{\"labels\":{\"touched\":\"by-someone\"}}}", 1);
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome hpa = result.of(HPA_ID);
        assertEquals(Status.APPLIED, hpa.status(), hpa::toString);
        assertEquals(2, hpa.attempts());
        assertEquals(2, patchesOf(HPA));
        ObjectNode live = cluster.get("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod");
        assertEquals(2, live.at("/spec/minReplicas").asInt());
        assertEquals("by-someone", live.at("/metadata/labels/touched").asText(), "the other writer's change kept");
    }

    @Test
    void conflictThatPersistsFailsOnlyThatChange() {
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.interfere(HPA, "{\"metadata\":{\"labels\":{\"touched\":\"again-%n\"}}}", 5);
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome hpa = result.of(HPA_ID);
        assertEquals(Status.FAILED, hpa.status());
        assertTrue(hpa.detail().contains("409"), hpa.detail());
        assertEquals(2, patchesOf(HPA));
        assertEquals(4, result.applied().size());
    }

    @Test
    void conflictWhoseWriterMadeTheSameChangeEndsUnchanged() {
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.interfere(HPA, "{\"spec\":{\"minReplicas\":2}}", 1);
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome hpa = result.of(HPA_ID);
        assertEquals(Status.UNCHANGED, hpa.status(), hpa::toString);
        assertEquals(1, patchesOf(HPA));
    }

    @Test
    void refusedChangeFailsAndTheOthersAreApplied() {
        Plan plan = plan(policies("enforce"));
        // What an admission webhook's denial looks like: not transient, so neither retried nor a reason to stop.
        cluster.dispatcher.fail("PATCH", CRONJOB, 422);
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        Outcome cron = result.of(CRONJOB_ID);
        assertEquals(Status.FAILED, cron.status());
        assertTrue(cron.detail().contains("422"), cron.detail());
        assertEquals(1, patchesOf(CRONJOB), "a refusal is not retried");
        assertEquals(List.of(FILTER_ID, HPA_ID, PDB_ID, WEB_ID), ids(result.applied()));
        assertTrue(cluster.get("batch/v1", "CronJob", "apps", "report")
                .at("/spec/jobTemplate/spec/template/metadata/labels").path("sidecar.istio.io/inject").isMissingNode());
    }

    @Test
    void eventFailureDoesNotFailTheChange() {
        Plan plan = plan(policies("enforce"));
        cluster.dispatcher.fail("POST", "/api/v1/namespaces/istio-system/events", 500);

        ApplyResult result = applier().apply(plan, false);

        Outcome hpa = result.of(HPA_ID);
        assertEquals(Status.APPLIED, hpa.status());
        assertNotNull(hpa.eventError());
        assertNull(result.of(CRONJOB_ID).eventError());
    }

    @Test
    void objectDeletedSincePlanningIsSkippedAsGone() {
        Plan plan = plan(policies("enforce"));
        cluster.client.batch().v1().cronjobs().inNamespace("apps").withName("report").delete();
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        assertEquals(Status.SKIPPED, result.of(CRONJOB_ID).status());
        assertEquals("gone", result.of(CRONJOB_ID).detail());
        assertTrue(cluster.dispatcher.writes().stream().noneMatch(w -> w.contains("cronjobs")));
    }

    @Test
    void handBuiltPlansCannotWriteReplicasUnderAnHpaNorTouchJobs() {
        ResourceRef istiod = new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod");
        ResourceRef job = new ResourceRef("batch/v1", "Job", "apps", "migrate");
        Plan plan = new Plan(List.of(
                new Change("a", istiod, "patch", MockCluster.json("{\"spec\":{\"replicas\":3}}"), false,
                        List.of("ha"), List.of("r"), "test"),
                new Change("b", istiod, "patch", MockCluster.json("{\"spec\":{\"replicas\":3,\"paused\":true}}"),
                        false, List.of("ha"), List.of("r"), "test"),
                new Change("c", job, "patch", MockCluster.json("{\"spec\":{\"suspend\":true}}"), false,
                        List.of("jobs"), List.of("r"), "test")), List.of());
        cluster.dispatcher.clear();

        ApplyResult result = applier().apply(plan, false);

        assertEquals(Status.SKIPPED, result.of("a").status());
        assertTrue(result.of("a").detail().contains("HorizontalPodAutoscaler istio-system/istiod"));
        assertEquals(Status.APPLIED, result.of("b").status());
        assertFalse(result.of("b").sent().path("spec").has("replicas"), () -> result.of("b").sent().toString());
        assertEquals(Status.SKIPPED, result.of("c").status());
        ObjectNode live = cluster.get("apps/v1", "Deployment", "istio-system", "istiod");
        assertEquals(1, live.at("/spec/replicas").asInt());
        assertTrue(live.at("/spec/paused").asBoolean());
        assertEquals(1, cluster.dispatcher.writes().stream().filter(w -> w.startsWith("PATCH")).count(),
                () -> cluster.dispatcher.writes().toString());
    }

    @Test
    void traceSamplingIsLoweredWhereItIsSet() {
        cluster.apply("""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: tracing, namespace: apps}
                spec:
                  tracing: [{randomSamplingPercentage: 20.0}]
                """);
        List<MeshPolicy> policies = List.of(MockCluster.policy("tracing", "TraceSampling", "enforce",
                "{maxPercent: 1.0}"));
        Plan plan = plan(policies);
        Change telemetry = plan.changes().stream().filter(c -> c.target().kind().equals("Telemetry")).findFirst()
                .orElseThrow(() -> new AssertionError(plan.toString()));
        assertEquals("apps", telemetry.target().namespace());
        ApplyResult result = applier().apply(plan, false);
        Outcome outcome = result.of(telemetry.id());
        assertEquals(ApplyResult.Status.APPLIED, outcome.status(), result.outcomes()::toString);
        // A merge patch replaces lists whole (RFC 7386), so the whole tracing list is sent, lowered. The CRUD mock
        // appends to lists instead of replacing them, so the stored object is not what a real server would hold:
        // assert what was sent.
        JsonNode sent = outcome.sent().at("/spec/tracing");
        assertEquals(1, sent.size(), sent::toString);
        assertEquals(1.0, sent.at("/0/randomSamplingPercentage").asDouble(), sent::toString);
        JsonNode revert = outcome.revertPatch().at("/spec/tracing");
        assertEquals(20.0, revert.at("/0/randomSamplingPercentage").asDouble(), "revert restores the old list");
    }

    private long patchesOf(String path) {
        return cluster.dispatcher.writes().stream().filter(w -> w.startsWith("PATCH " + path + "?")
                || w.equals("PATCH " + path)).count();
    }

    private static List<String> ids(List<Outcome> outcomes) {
        List<String> out = new ArrayList<>();
        outcomes.forEach(o -> out.add(o.change().id()));
        return out;
    }

    private void nonCompliantCluster() {
        cluster.crd("envoyfilters", "EnvoyFilter", "networking.istio.io", "v1alpha3");
        cluster.crd("telemetries", "Telemetry", "telemetry.istio.io", "v1");
        cluster.apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-system}
                """);
        cluster.apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: istio-ingress}
                """);
        cluster.apply("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: apps, labels: {istio-injection: enabled}}
                """);
        cluster.helmRelease("istio-system", "istiod", "istiod", "1.22.3", """
                pilot: {autoscaleEnabled: true, autoscaleMin: 1, autoscaleMax: 5, replicaCount: 1}
                """);
        cluster.apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: istiod}}
                  template:
                    metadata: {labels: {app: istiod}}
                    spec: {containers: [{name: discovery, image: pilot}]}
                """);
        cluster.apply("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: istiod, namespace: istio-system}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: istiod}
                  minReplicas: 1
                  maxReplicas: 5
                """);
        cluster.apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: istio-ingressgateway, namespace: istio-ingress}
                spec:
                  replicas: 2
                  selector: {matchLabels: {istio: ingressgateway}}
                  template:
                    metadata: {labels: {istio: ingressgateway}}
                    spec: {containers: [{name: gateway, image: proxyv2}]}
                """);
        cluster.apply("""
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: report, namespace: apps}
                spec:
                  schedule: "0 * * * *"
                  jobTemplate:
                    spec:
                      template:
                        metadata: {labels: {job: report}}
                        spec: {restartPolicy: OnFailure, containers: [{name: r, image: r}]}
                """);
        cluster.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: apps}
                spec:
                  template:
                    metadata: {labels: {job: migrate}}
                    spec: {restartPolicy: Never, containers: [{name: m, image: m}]}
                """);
        cluster.apply("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: apps}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata:
                      labels: {app: web}
                      annotations: {sidecar.istio.io/proxyCPU: 500m}
                    spec: {containers: [{name: web, image: web}]}
                """);
    }

    // ------------------------------------------------------------------------------------------------ delete

    static final String OURS = """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata:
              name: istiod-meshwarden
              namespace: istio-system
              labels: {app.kubernetes.io/managed-by: meshwarden}
              annotations: {meshwarden.io/applied-by: ha}
            spec:
              maxUnavailable: 1
              selector: {matchLabels: {app: istiod}}
            """;
    static final String CHART_PDB = """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata:
              name: istiod
              namespace: istio-system
              labels: {app: istiod, app.kubernetes.io/managed-by: Helm}
            spec:
              minAvailable: 1
              selector: {matchLabels: {app: istiod}}
            """;

    /** A chart PDB appeared next to ours: the plan retires ours, and a revert brings it back as it was. */
    @Test
    void ourPdbIsDeletedWhenAChartPdbAppearsAndARevertRecreatesIt() {
        cluster.apply(OURS);
        cluster.apply(CHART_PDB);
        List<MeshPolicy> ha = List.of(MockCluster.policy("ha", "HaMinimum", "enforce", "{components: [istiod]}"));
        Plan plan = plan(ha);
        Change delete = plan.changes().stream().filter(c -> c.id().equals(PDB_ID)).findFirst().orElseThrow();
        assertEquals(Change.DELETE, delete.action());
        assertEquals(List.of("ha-pdb-overlapping"), delete.rules());
        ObjectNode before = cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden");

        ApplyResult dry = applier().apply(plan, true);
        assertEquals(Status.WOULD_APPLY, dry.of(PDB_ID).status());
        assertNotNull(cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden"),
                "a dry run deletes nothing");

        ApplyResult result = applier().apply(plan, false);
        Outcome o = result.of(PDB_ID);
        assertEquals(Status.APPLIED, o.status(), o::toString);
        assertEquals(Change.DELETE, o.operation());
        assertNull(cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden"));
        assertNotNull(cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod"), "the chart's stays");
        assertEquals(before.path("metadata").path("resourceVersion"), o.sent().path("metadata")
                .path("resourceVersion"), "the delete's precondition; the version it replaced, for the audit");
        List<String> writes = cluster.dispatcher.writes();
        int del = writes.size() - 1;
        while (del >= 0 && !writes.get(del).startsWith("DELETE ")) {
            del--;
        }
        assertTrue(del >= 0 && writes.get(del).contains("istiod-meshwarden"), writes::toString);
        assertEquals(before.path("metadata").path("resourceVersion"), MockCluster.json(cluster.dispatcher
                .writeBodies().get(del)).at("/preconditions/resourceVersion"), "deleted only as it was read");
        Event event = cluster.client.v1().events().inNamespace("istio-system").list().getItems().stream().filter(e -> "istiod-meshwarden".equals(e.getInvolvedObject().getName()))
                .findFirst().orElseThrow();
        assertEquals("Delete", event.getAction());
        assertEquals(Applier.EVENT_REASON, event.getReason());
        assertTrue(event.getMessage().contains("deleted") && event.getMessage().contains("ha-pdb-overlapping"),
                event.getMessage());

        List<Reverter.Step> steps = new Reverter(cluster.client, CLOCK).revert(result);
        assertTrue(steps.stream().anyMatch(st -> st.changeId().equals(PDB_ID) && st.action().equals("create")
                && st.result().equals("reverted")), steps::toString);
        ObjectNode back = cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden");
        assertNotNull(back, "re-created");
        assertEquals(before.path("spec"), back.path("spec"));
        assertEquals(before.path("metadata").path("labels"), back.path("metadata").path("labels"));
        assertEquals("ha", back.path("metadata").path("annotations").path(Applier.APPLIED_BY).asText());
    }

    @Test
    void aDeleteNeverTouchesAnObjectWithoutOurLabelAndAGoneOneIsAsWanted() {
        cluster.apply(CHART_PDB);
        ResourceRef chart = new ResourceRef("policy/v1", "PodDisruptionBudget", "istio-system", "istiod");
        ResourceRef gone = new ResourceRef("policy/v1", "PodDisruptionBudget", "istio-system", "gone-meshwarden");
        Plan plan = new Plan(List.of(
                new Change("PodDisruptionBudget/istio-system/istiod#1", chart, Change.DELETE, MockCluster.json("{}"),
                        false, List.of("ha"), List.of("ha-pdb-overlapping"), "test"),
                new Change("PodDisruptionBudget/istio-system/gone-meshwarden#1", gone, Change.DELETE,
                        MockCluster.json("{}"), false, List.of("ha"), List.of("ha-pdb-overlapping"), "test")),
                List.of());

        ApplyResult result = applier().apply(plan, false);

        assertEquals(Status.SKIPPED, result.of("PodDisruptionBudget/istio-system/istiod#1").status());
        assertEquals(Applier.FOREIGN, result.of("PodDisruptionBudget/istio-system/istiod#1").detail());
        assertEquals(Status.UNCHANGED, result.of("PodDisruptionBudget/istio-system/gone-meshwarden#1").status());
        assertNotNull(cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod"));
        assertTrue(cluster.dispatcher.requests().stream().noneMatch(r -> r.startsWith("DELETE ")),
                cluster.dispatcher.requests()::toString);
    }

    @Test
    void aRevertDoesNotRecreateOverAnObjectCreatedSince() {
        cluster.apply(OURS);
        cluster.apply(CHART_PDB);
        ApplyResult result = applier().apply(plan(List.of(MockCluster.policy("ha", "HaMinimum", "enforce",
                "{components: [istiod]}"))), false);
        assertEquals(Status.APPLIED, result.of(PDB_ID).status());
        cluster.apply(OURS.replace("maxUnavailable: 1", "maxUnavailable: 2"));

        assertThrows(Reverter.Changed.class, () -> new Reverter(cluster.client, CLOCK).revert(result));
        assertEquals(2, cluster.get("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden")
                .path("spec").path("maxUnavailable").asInt());
    }
}

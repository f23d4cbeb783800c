package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Hold;
import io.meshwarden.enforce.HoldStore;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The safe-rollout budget with real controllers: kube-controller-manager rolls the Deployments out, the scheduler
 * binds the new pods, kwok makes them Ready (or, with the never-ready label, keeps them Running and unready).
 */
class RolloutE2E {
    static final RolloutConfig CONFIG = RolloutConfig.DEFAULTS.withPollInterval(Duration.ofMillis(500))
            .withDeadline(Duration.ofSeconds(90)).withWritesPerSecond(0);
    static final String CPU = "sidecar.istio.io/proxyCPU";

    KubernetesClient client;
    String ns;
    MeshPolicy sizing;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        ns = ControlPlane.namespace(client, "e2e-roll-" + ControlPlane.suffix(), Map.of("istio-injection",
                "enabled"));
        sizing = E2EObjects.policy("e2e-roll-sizing", "ProxySizing", "enforce", List.of(ns),
                E2EObjects.proxySizingParameters());
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    @Test
    void aProxySizingChangeRollsOutAndTheBudgetWaitsForEachWorkload() {
        // A set-based selector: RolloutRunner lists the pods with it, which the CRUD mock cannot evaluate.
        client.resource(E2EObjects.deployment(ns, "a-web", 2, Map.of(), Map.of(), new LabelSelectorBuilder()
                .addNewMatchExpression().withKey("app").withOperator("In").withValues("a-web", "a-web-canary")
                .endMatchExpression().build(), null)).create();
        client.resource(E2EObjects.deployment(ns, "b-api", 1, Map.of())).create();
        awaitAvailable("a-web", 2);
        awaitAvailable("b-api", 1);
        String oldWebReplicaSet = newestReplicaSet("a-web").getMetadata().getName();

        Plan plan = plan();
        assertEquals(List.of("Deployment/" + ns + "/a-web#1", "Deployment/" + ns + "/b-api#1"),
                plan.changes().stream().map(Change::id).collect(Collectors.toList()));
        assertTrue(plan.changes().stream().allMatch(Change::restartsPods));

        RolloutResult result = new RolloutRunner(client, CONFIG).run(plan, false);

        assertFalse(result.halted(), () -> String.valueOf(result.halt()));
        for (RolloutOutcome o : result.outcomes()) {
            assertEquals(RolloutOutcome.Status.APPLIED, o.status(), o::toString);
            assertTrue(o.detail().startsWith("rolled out in"), o::detail);
        }
        // The runner returned only after the controllers finished: every replica runs the new template.
        for (String name : List.of("a-web", "b-api")) {
            Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
            int replicas = d.getSpec().getReplicas();
            assertEquals(d.getMetadata().getGeneration(), d.getStatus().getObservedGeneration());
            assertEquals(replicas, d.getStatus().getUpdatedReplicas());
            assertEquals(replicas, d.getStatus().getAvailableReplicas());
            assertEquals(replicas, d.getStatus().getReplicas(), "no old replica left");
        }
        ReplicaSet newWeb = newestReplicaSet("a-web");
        assertFalse(newWeb.getMetadata().getName().equals(oldWebReplicaSet), "a new ReplicaSet: pods re-created");
        List<Pod> webPods = client.pods().inNamespace(ns).withLabel("app", "a-web").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).collect(Collectors.toList());
        assertEquals(2, webPods.size());
        for (Pod p : webPods) {
            assertEquals("100m", p.getMetadata().getAnnotations().get(CPU), "the injector would see the new size");
            assertTrue(ControlPlaneE2E.ready(p));
        }
        // One workload at a time: b-api was only patched once a-web had completed its rollout.
        // The controller stamps Progressing with NewReplicaSetAvailable when the rollout completes, and not again.
        DeploymentCondition progressing = condition(client.apps().deployments().inNamespace(ns).withName("a-web")
                .get(), "Progressing");
        assertEquals("NewReplicaSetAvailable", progressing.getReason());
        Instant webDone = Instant.parse(progressing.getLastUpdateTime());
        Instant apiStarted = Instant.parse(newestReplicaSet("b-api").getMetadata().getCreationTimestamp());
        assertFalse(apiStarted.isBefore(webDone), "b-api's new ReplicaSet (" + apiStarted + ") was created before "
                + "a-web became available (" + webDone + ")");
    }

    @Test
    void aRolloutThatNeverBecomesReadyHaltsTheRun() {
        // Kubernetes gives up on it after 10 s: the runner halts on ProgressDeadlineExceeded, not its own deadline.
        client.resource(E2EObjects.deployment(ns, "a-stuck", 1, Map.of(ControlPlane.NEVER_READY_LABEL, "true"),
                Map.of(), new LabelSelectorBuilder().addToMatchLabels("app", "a-stuck").build(), 10)).create();
        client.resource(E2EObjects.deployment(ns, "b-web", 1, Map.of())).create();
        awaitAvailable("b-web", 1);
        ControlPlane.await("a-stuck's pod running", () -> client.pods().inNamespace(ns).withLabel("app", "a-stuck")
                .list().getItems().stream().anyMatch(p -> "Running".equals(p.getStatus().getPhase())));

        Plan plan = plan();
        assertEquals(List.of("Deployment/" + ns + "/a-stuck#1", "Deployment/" + ns + "/b-web#1"),
                plan.changes().stream().map(Change::id).collect(Collectors.toList()));

        long start = System.nanoTime();
        RolloutResult result = new RolloutRunner(client, CONFIG).run(plan, false);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertTrue(result.halted(), () -> result.outcomes().toString());
        assertEquals(RolloutHaltReason.DEADLINE_EXCEEDED, result.halt().reason());
        assertEquals("Deployment/" + ns + "/a-stuck#1", result.halt().changeId());
        assertTrue(result.halt().detail().contains("ProgressDeadlineExceeded"), result.halt()::detail);
        assertTrue(took.compareTo(CONFIG.deadline()) < 0, "halted by Kubernetes' verdict after " + took);
        assertEquals(RolloutOutcome.Status.APPLIED, result.of("Deployment/" + ns + "/a-stuck#1").status());
        assertEquals(RolloutOutcome.Status.DEFERRED, result.of("Deployment/" + ns + "/b-web#1").status());

        Deployment web = client.apps().deployments().inNamespace(ns).withName("b-web").get();
        assertNull(web.getSpec().getTemplate().getMetadata().getAnnotations() == null ? null
                : web.getSpec().getTemplate().getMetadata().getAnnotations().get(CPU), "deferred: never sent");
        assertEquals(1L, web.getMetadata().getGeneration());
        assertNotNull(client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> RolloutRunner.HALT_EVENT_REASON.equals(e.getReason())
                        && "a-stuck".equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
                .findFirst().orElse(null), "a Warning Event on the workload that halted the run");
    }

    @Test
    void aRevertThatRestartsTwoWorkloadsGoesThroughTheBudgetAndHoldsThem() {
        client.resource(E2EObjects.deployment(ns, "a-web", 1, Map.of())).create();
        client.resource(E2EObjects.deployment(ns, "b-api", 1, Map.of())).create();
        awaitAvailable("a-web", 1);
        awaitAvailable("b-api", 1);
        RolloutResult run = new RolloutRunner(client, CONFIG).run(plan(), false);
        assertFalse(run.halted(), () -> String.valueOf(run.halt()));
        ApplyResult applied = new ApplyResult(false, run.outcomes().stream().map(RolloutOutcome::apply).toList());

        Reverter.Prepared revert = new Reverter(client, java.time.Clock.systemUTC()).prepare(applied,
                new Hold(null, "run-e2e-1", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        Map.of(sizing.name(), sizing.metadata().generation()), true));
        RolloutResult result = new RolloutRunner(client, CONFIG).revert(revert);

        assertFalse(result.halted(), () -> String.valueOf(result.halt()));
        List<Reverter.Step> steps = revert.steps(result);
        assertEquals(List.of("reverted", "reverted"), steps.stream().map(Reverter.Step::result).toList(),
                steps::toString);
        for (String name : List.of("a-web", "b-api")) {
            Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
            Map<String, String> template = d.getSpec().getTemplate().getMetadata().getAnnotations();
            assertNull(template == null ? null : template.get(CPU), "reverted");
            assertEquals(d.getSpec().getReplicas(), d.getStatus().getUpdatedReplicas(), "rolled out before returning");
            assertEquals(sizing.name(), d.getMetadata().getAnnotations().get(Hold.ANNOTATION));
            assertEquals("run-e2e-1", d.getMetadata().getAnnotations().get(Hold.RUN_ANNOTATION));
        }
        // Last change first, one workload at a time: a-web was patched only once b-api had rolled out again.
        Instant apiDone = Instant.parse(condition(client.apps().deployments().inNamespace(ns).withName("b-api")
                .get(), "Progressing").getLastUpdateTime());
        Instant webPatched = client.apps().deployments().inNamespace(ns).withName("a-web").get().getMetadata()
                .getManagedFields().stream().filter(f -> "meshwarden".equals(f.getManager()))
                .map(f -> Instant.parse(f.getTime())).max(Comparator.naturalOrder()).orElseThrow();
        assertFalse(webPatched.isBefore(apiDone), "a-web reverted at " + webPatched + " before b-api's revert "
                + "rolled out at " + apiDone);
        // The next plan leaves the held workloads alone.
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, ns + "-istio").read();
        Plan next = Planner.plan(List.of(sizing), PolicyTypes.EVALUATOR.evaluate(List.of(sizing), snapshot),
                snapshot, new HoldStore(client).read(plan().changes().stream().map(Change::target).toList()), false);
        assertTrue(next.changes().isEmpty(), next::toString);
        assertTrue(next.skipped().stream().allMatch(x -> x.reason().startsWith("on hold since revert of run "
                + "run-e2e-1")), next::toString);
    }

    Plan plan() {
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, ns + "-istio").read();
        return Planner.plan(List.of(sizing), PolicyTypes.EVALUATOR.evaluate(List.of(sizing), snapshot), snapshot);
    }

    void awaitAvailable(String name, int replicas) {
        ControlPlane.await("Deployment " + name + " available", ControlPlane.TIMEOUT, () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
            return d.getStatus() != null && Integer.valueOf(replicas).equals(d.getStatus().getAvailableReplicas());
        }, () -> String.valueOf(client.apps().deployments().inNamespace(ns).withName(name).get().getStatus()));
    }

    ReplicaSet newestReplicaSet(String deployment) {
        return client.apps().replicaSets().inNamespace(ns).withLabel("app", deployment).list().getItems().stream()
                .max(Comparator.comparing((ReplicaSet r) -> Long.parseLong(r.getMetadata().getAnnotations()
                        .getOrDefault("deployment.kubernetes.io/revision", "0")))).orElseThrow();
    }

    static DeploymentCondition condition(Deployment d, String type) {
        return d.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " condition: " + d.getStatus()));
    }
}

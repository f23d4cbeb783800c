package io.meshwarden.enforce.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome.Status;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutRateLimiter;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.enforce.RolloutSleeper;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.testing.FakeClock;
import io.meshwarden.testing.Workloads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The test plays the controllers: each time the runner sleeps, the fake clock moves on and {@link #step} updates
 * workload, pod and HPA status as the deployment controller, kubelet and HPA controller would.
 */
class RolloutRunnerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
    static final Duration POLL = Duration.ofSeconds(5);
    static final String PROXY_CPU = "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
            + "{\"sidecar.istio.io/proxyCPU\":\"100m\"}}}}}";

    private FakeClock clock;
    private RecordingDispatcher dispatcher;
    private KubernetesMockServer server;
    private KubernetesClient client;
    /** Deployments ("ns/name") whose controller never finishes the rollout. */
    private final Set<String> stalled = new HashSet<>();
    /** When each Deployment ("ns/name") finished rolling out, as the fake controller saw it. */
    private final Map<String, Instant> completed = new HashMap<>();
    /** Extra controller behaviour, run on each sleep with the number of that sleep (from 1). */
    private StepHook hook = n -> {
    };
    private final AtomicInteger sleeps = new AtomicInteger();
    private final AtomicInteger acquires = new AtomicInteger();

    @FunctionalInterface
    interface StepHook {
        void step(int n);
    }

    @BeforeEach
    void start() {
        clock = new FakeClock(T0);
        dispatcher = new RecordingDispatcher(clock);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    // ---------------------------------------------------------------- harness

    private final RolloutSleeper sleeper = d -> {
        clock.advance(d);
        step(sleeps.incrementAndGet());
    };

    private final RolloutRateLimiter countingLimiter = acquires::incrementAndGet;

    private RolloutRunner runner(RolloutConfig config) {
        return runner(config, countingLimiter);
    }

    private RolloutRunner runner(RolloutConfig config, RolloutRateLimiter limiter) {
        return new RolloutRunner(client, new Applier(client, clock), config.withPollInterval(POLL), clock, sleeper,
                limiter);
    }

    private void step(int n) {
        for (Deployment d : client.apps().deployments().inAnyNamespace().list().getItems()) {
            String key = d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
            long generation = d.getMetadata().getGeneration();
            DeploymentStatus s = d.getStatus();
            int replicas = d.getSpec().getReplicas();
            if (s.getObservedGeneration() < generation) {
                // A surge pod of the new template starts first; the old replicas are still there.
                status(d, generation, replicas + 1, 1, replicas);
            } else if (!stalled.contains(key) && (s.getUpdatedReplicas() != replicas || s.getReplicas() != replicas)) {
                status(d, generation, replicas, replicas, replicas);
                completed.put(key, clock.instant());
            }
        }
        hook.step(n);
    }

    private void status(Deployment d, long observed, int current, int updated, int available) {
        client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).withName(d.getMetadata().getName())
                .editStatus(x -> {
                    x.setStatus(new DeploymentStatus());
                    x.getStatus().setObservedGeneration(observed);
                    x.getStatus().setReplicas(current);
                    x.getStatus().setUpdatedReplicas(updated);
                    x.getStatus().setAvailableReplicas(available);
                    x.getStatus().setReadyReplicas(available);
                    return x;
                });
    }

    private void deployment(String ns, String name, int replicas) {
        client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata()
                .withName(name).withNamespace(ns).endMetadata().withNewSpec().withReplicas(replicas)
                .withNewSelector().addToMatchLabels("app", name).endSelector().withNewTemplate().withNewMetadata()
                .addToLabels("app", name).endMetadata().withNewSpec().addNewContainer().withName(name)
                .withImage("example/" + name).endContainer().endSpec().endTemplate().endSpec().build()).create();
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        status(d, d.getMetadata().getGeneration(), replicas, replicas, replicas);
    }

    private void pod(String ns, String name, String app, ContainerStatus status) {
        client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .addToLabels("app", app).endMetadata().withNewSpec().addNewContainer().withName(status.getName())
                .withImage("example/" + app).endContainer().endSpec().build()).create();
        podStatus(ns, name, status);
    }

    private void podStatus(String ns, String name, ContainerStatus status) {
        client.pods().inNamespace(ns).withName(name).editStatus(p -> {
            p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
            p.getStatus().setContainerStatuses(List.of(status));
            return p;
        });
    }

    private static ContainerStatus running(String container, int restarts) {
        return new ContainerStatusBuilder().withName(container).withRestartCount(restarts).withReady(true)
                .withNewState().withNewRunning().endRunning().endState().build();
    }

    private static ContainerStatus crashLooping(String container, int restarts) {
        return new ContainerStatusBuilder().withName(container).withRestartCount(restarts).withReady(false)
                .withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState().build();
    }

    private void hpa(String ns, String target, int desired) {
        client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).resource(
                new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(target).withNamespace(ns)
                        .endMetadata().withNewSpec().withNewScaleTargetRef().withApiVersion("apps/v1")
                        .withKind("Deployment").withName(target).endScaleTargetRef().withMinReplicas(2)
                        .withMaxReplicas(20).endSpec().build()).create();
        Workloads.hpaDesired(client, ns, target, desired);
    }


    private static Change restart(String ns, String name) {
        return new Change("Deployment/" + ns + "/" + name + "#1", new ResourceRef("apps/v1", "Deployment", ns, name),
                Change.PATCH, json(PROXY_CPU), true, List.of("sizing"), List.of("proxy-resources"),
                "sidecar CPU request missing");
    }

    private static Change configMap(String ns, String name) {
        return new Change("ConfigMap/" + ns + "/" + name + "#1", new ResourceRef("v1", "ConfigMap", ns, name),
                Change.PATCH, json("{\"data\":{\"mesh\":\"strict\"}}"), false, List.of("mesh"), List.of("mesh-config"),
                "mesh config drift");
    }

    private void configMap(String ns, String name, String value) {
        client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name)
                .withNamespace(ns).endMetadata().addToData("mesh", value).build()).create();
    }

    private static Plan plan(Change... changes) {
        return new Plan(List.of(changes), List.of());
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<RecordingDispatcher.Request> deploymentPatches() {
        List<RecordingDispatcher.Request> out = new ArrayList<>();
        for (RecordingDispatcher.Request r : dispatcher.enforcerWrites()) {
            if ("PATCH".equals(r.method()) && r.path().contains("/deployments/")) {
                out.add(r);
            }
        }
        return out;
    }

    private static String name(RecordingDispatcher.Request r) {
        String p = r.path().substring(0, r.path().indexOf('?'));
        String[] parts = p.split("/");
        return parts[parts.length - 3] + "/" + parts[parts.length - 1];
    }

    private List<Event> haltEvents(String ns) {
        List<Event> out = new ArrayList<>();
        for (Event e : client.v1().events().inNamespace(ns).list().getItems()) {
            if (RolloutRunner.HALT_EVENT_REASON.equals(e.getReason())) {
                out.add(e);
            }
        }
        return out;
    }

    private void fourDeployments() {
        deployment("a", "api", 2);
        deployment("a", "web", 2);
        deployment("b", "db", 1);
        deployment("b", "web", 3);
    }

    private static Plan fourRestarts() {
        return plan(restart("a", "api"), restart("a", "web"), restart("b", "db"), restart("b", "web"));
    }

    // ---------------------------------------------------------------- tests

    @Test
    void budgetOfOneRestartsWorkloadsStrictlyOneAfterAnother() {
        fourDeployments();
        dispatcher.clear();

        RolloutResult result = runner(RolloutConfig.DEFAULTS).run(fourRestarts(), false);

        assertFalse(result.halted(), () -> String.valueOf(result.halt()));
        assertEquals(4, result.applied().size());
        for (RolloutOutcome o : result.outcomes()) {
            assertTrue(o.detail().startsWith("rolled out in"), o.detail());
        }
        List<RecordingDispatcher.Request> patches = deploymentPatches();
        List<String> order = new ArrayList<>();
        patches.forEach(r -> order.add(name(r)));
        assertEquals(List.of("a/api", "a/web", "b/db", "b/web"), order);
        for (int i = 0; i < patches.size(); i++) {
            Instant done = completed.get(order.get(i));
            assertNotNull(done, order.get(i) + " never completed");
            assertTrue(patches.get(i).at().isBefore(done), "patched before its own rollout completed");
            if (i + 1 < patches.size()) {
                assertFalse(patches.get(i + 1).at().isBefore(done),
                        order.get(i + 1) + " patched at " + patches.get(i + 1).at() + " before " + order.get(i)
                                + " completed at " + done);
            }
        }
        // Two polls per rollout: one to see the controller start, one to see it finish.
        assertEquals(T0.plus(POLL.multipliedBy(8)), clock.instant());
        assertEquals(4, acquires.get(), "every write goes through the limiter");
        assertEquals(0, result.haltsByReason().get(RolloutHaltReason.DEADLINE_EXCEEDED));
    }

    @Test
    void budgetPerNamespaceLetsOtherNamespacesProceed() {
        fourDeployments();
        dispatcher.clear();

        RolloutResult result = runner(RolloutConfig.DEFAULTS.withMaxConcurrent(2, 1)).run(fourRestarts(), false);

        assertFalse(result.halted());
        List<RecordingDispatcher.Request> patches = deploymentPatches();
        List<String> order = new ArrayList<>();
        patches.forEach(r -> order.add(name(r)));
        // a/web waits for a/api (same namespace) while b/db, next in line elsewhere, starts at once.
        assertEquals(List.of("a/api", "b/db", "a/web", "b/web"), order);
        assertEquals(T0, patches.get(0).at());
        assertEquals(T0, patches.get(1).at());
        assertFalse(patches.get(2).at().isBefore(completed.get("a/api")));
        assertFalse(patches.get(3).at().isBefore(completed.get("b/db")));
        assertEquals(T0.plus(POLL.multipliedBy(4)), clock.instant(), "two at a time: half the time");
    }

    @Test
    void missedDeadlineHaltsAndDefersTheRest() {
        fourDeployments();
        stalled.add("a/api");
        dispatcher.clear();

        RolloutResult result = runner(RolloutConfig.DEFAULTS.withDeadline(Duration.ofMinutes(2))).run(fourRestarts(),
                false);

        assertTrue(result.halted());
        assertEquals(RolloutHaltReason.DEADLINE_EXCEEDED, result.halt().reason());
        assertEquals("Deployment/a/api#1", result.halt().changeId());
        assertEquals(T0.plus(Duration.ofMinutes(2)), clock.instant(), "halted as the deadline passed");
        assertTrue(result.halt().detail().contains("1 of 2 replicas updated"), result.halt().detail());
        RolloutOutcome api = result.of("Deployment/a/api#1");
        assertEquals(Status.APPLIED, api.status());
        assertTrue(api.detail().startsWith("rollout halted"), api.detail());
        assertEquals(3, result.deferred().size());
        for (RolloutOutcome o : result.deferred()) {
            assertNull(o.apply());
            assertTrue(o.detail().contains("DEADLINE_EXCEEDED at Deployment a/api"), o.detail());
        }
        assertEquals(1, deploymentPatches().size(), "nothing patched after the halt");
        assertEquals(1, result.haltsByReason().get(RolloutHaltReason.DEADLINE_EXCEEDED));
        assertEquals(0, result.haltsByReason().get(RolloutHaltReason.CRASH_LOOP));

        List<Event> events = haltEvents("a");
        assertEquals(1, events.size());
        Event e = events.get(0);
        assertEquals("Warning", e.getType());
        assertEquals("api", e.getInvolvedObject().getName());
        assertEquals("Deployment", e.getInvolvedObject().getKind());
        assertTrue(e.getMessage().contains("3 pod-restarting change(s) deferred"), e.getMessage());
        assertNull(result.halt().eventError());
    }

    @Test
    void crashLoopingPodHalts() {
        fourDeployments();
        pod("a", "api-old", "api", running("api", 0));
        stalled.add("a/api");
        hook = n -> {
            if (n == 2) {
                pod("a", "api-new", "api", crashLooping("api", 1));
            }
        };
        dispatcher.clear();

        RolloutResult result = runner(RolloutConfig.DEFAULTS).run(fourRestarts(), false);

        assertEquals(RolloutHaltReason.CRASH_LOOP, result.halt().reason());
        assertEquals(T0.plus(POLL.multipliedBy(2)), clock.instant(), "halted at the first poll that saw it");
        assertTrue(result.halt().detail().contains("pod api-new container api is in CrashLoopBackOff"),
                result.halt().detail());
        assertEquals(3, result.deferred().size());
        assertEquals(1, deploymentPatches().size());
        assertEquals(1, haltEvents("a").size());
        assertEquals(1, result.haltsByReason().get(RolloutHaltReason.CRASH_LOOP));
    }

    @Test
    void restartsRisingByThreeHaltButAnEarlierCrashLoopDoesNot() {
        deployment("a", "api", 2);
        deployment("a", "web", 2);
        pod("a", "api-1", "api", running("api", 1));
        // Crash-looping before the change: not the change's fault, and no reason never to fix the workload.
        pod("a", "api-2", "api", crashLooping("api", 10));
        stalled.add("a/api");
        hook = n -> {
            podStatus("a", "api-2", crashLooping("api", 10 + 5 * n));
            if (n == 1) {
                podStatus("a", "api-1", running("api", 3));
            } else if (n == 2) {
                podStatus("a", "api-1", running("api", 4));
            }
        };

        RolloutResult result = runner(RolloutConfig.DEFAULTS).run(plan(restart("a", "api"), restart("a", "web")),
                false);

        assertEquals(RolloutHaltReason.CRASH_LOOP, result.halt().reason());
        assertEquals(T0.plus(POLL.multipliedBy(2)), clock.instant(), "a rise of 2 is tolerated, 3 is not");
        assertTrue(result.halt().detail().contains("pod api-1 container api restarted 3 times since the change"),
                result.halt().detail());
        assertEquals(Status.DEFERRED, result.of("Deployment/a/web#1").status());
    }

    @Test
    void hpaSurgeHalts() {
        fourDeployments();
        hpa("a", "api", 2);
        stalled.add("a/api");
        hook = n -> {
            if (n == 1) {
                Workloads.hpaDesired(client, "a", "api", 3);
            } else if (n == 2) {
                Workloads.hpaDesired(client, "a", "api", 4);
            }
        };
        dispatcher.clear();

        RolloutResult result = runner(RolloutConfig.DEFAULTS).run(fourRestarts(), false);

        assertEquals(RolloutHaltReason.HPA_SURGE, result.halt().reason());
        assertEquals(T0.plus(POLL.multipliedBy(2)), clock.instant(), "2 -> 3 is exactly 50%: not more, no halt");
        assertTrue(result.halt().detail().contains("raised desiredReplicas from 2 to 4"), result.halt().detail());
        assertEquals(3, result.deferred().size());
        assertEquals(1, deploymentPatches().size());
        assertEquals(1, haltEvents("a").size());
        assertEquals(1, result.haltsByReason().get(RolloutHaltReason.HPA_SURGE));
    }

    @Test
    void nonRestartingChangesAreAppliedFirstPacedAndRegardlessOfTheBudget() {
        deployment("a", "api", 2);
        deployment("b", "db", 1);
        configMap("a", "mesh-a", "permissive");
        configMap("b", "mesh-b", "permissive");
        configMap("b", "mesh-c", "strict");
        stalled.add("a/api");
        dispatcher.clear();
        // The plan (built elsewhere) lists them after the restarting ones; the first rollout will stall.
        Plan plan = plan(restart("a", "api"), restart("b", "db"), configMap("a", "mesh-a"), configMap("b", "mesh-b"),
                configMap("b", "mesh-c"));
        List<Duration> limiterSleeps = new ArrayList<>();
        RolloutRateLimiter onePerSecond = RolloutRateLimiter.perSecond(1, clock, d -> {
            limiterSleeps.add(d);
            clock.advance(d);
        });

        RolloutResult result = runner(RolloutConfig.DEFAULTS.withDeadline(Duration.ofMinutes(1)), onePerSecond)
                .run(plan, false);

        assertEquals(RolloutHaltReason.DEADLINE_EXCEEDED, result.halt().reason());
        assertEquals(Status.APPLIED, result.of("ConfigMap/a/mesh-a#1").status());
        assertEquals(Status.APPLIED, result.of("ConfigMap/b/mesh-b#1").status());
        assertEquals(Status.UNCHANGED, result.of("ConfigMap/b/mesh-c#1").status());
        assertEquals(Status.APPLIED, result.of("Deployment/a/api#1").status());
        assertEquals(Status.DEFERRED, result.of("Deployment/b/db#1").status());
        assertEquals("strict", client.configMaps().inNamespace("b").withName("mesh-b").get().getData().get("mesh"));

        List<String> writes = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        for (RecordingDispatcher.Request r : dispatcher.enforcerWrites()) {
            writes.add(r.method() + " " + name(r));
            times.add(r.at());
        }
        assertEquals(List.of("PATCH a/mesh-a", "PATCH b/mesh-b", "PATCH a/api"), writes);
        // One write a second: the unchanged mesh-c took a slot without writing.
        assertEquals(List.of(T0, T0.plusSeconds(1), T0.plusSeconds(3)), times);
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), limiterSleeps);
    }

    @Test
    void dryRunWritesNothingAndWaitsForNothing() {
        fourDeployments();
        configMap("a", "mesh-a", "permissive");
        dispatcher.clear();
        List<Change> changes = new ArrayList<>(fourRestarts().changes());
        changes.add(configMap("a", "mesh-a"));

        RolloutResult result = runner(RolloutConfig.DEFAULTS).run(new Plan(changes, List.of()), true);

        assertTrue(result.dryRun());
        assertFalse(result.halted());
        assertEquals(5, result.withStatus(Status.WOULD_APPLY).size());
        assertEquals(List.of(), dispatcher.writes());
        assertEquals(0, sleeps.get());
        assertEquals(0, acquires.get());
        assertEquals(T0, clock.instant());
        assertEquals(1L, client.apps().deployments().inNamespace("a").withName("api").get().getMetadata()
                .getGeneration());
    }

    @Test
    void unchangedRestartingChangesNeedNoWait() {
        fourDeployments();
        runner(RolloutConfig.DEFAULTS).run(fourRestarts(), false);
        int before = sleeps.get();
        dispatcher.clear();

        RolloutResult again = runner(RolloutConfig.DEFAULTS).run(fourRestarts(), false);

        assertEquals(4, again.withStatus(Status.UNCHANGED).size());
        assertEquals(before, sleeps.get());
        assertEquals(List.of(), dispatcher.writes());
    }

    @Test
    void interruptionHaltsAndKeepsTheInterruptFlag() {
        fourDeployments();
        stalled.add("a/api");
        RolloutRunner runner = new RolloutRunner(client, new Applier(client, clock),
                RolloutConfig.DEFAULTS.withPollInterval(POLL), clock, d -> {
                    throw new InterruptedException("shutdown");
                }, countingLimiter);

        RolloutResult result;
        try {
            result = runner.run(fourRestarts(), false);
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }

        assertEquals(RolloutHaltReason.INTERRUPTED, result.halt().reason());
        assertEquals(Status.APPLIED, result.of("Deployment/a/api#1").status());
        assertEquals(3, result.deferred().size());
    }

    private static io.meshwarden.enforce.ApplyResult applied(RolloutResult result) {
        return new io.meshwarden.enforce.ApplyResult(false, result.outcomes().stream().map(RolloutOutcome::apply)
                .filter(java.util.Objects::nonNull).toList());
    }

    private static io.meshwarden.enforce.Hold hold() {
        return new io.meshwarden.enforce.Hold(null, "run-7-1", T0, Map.of("sizing", 1L), true);
    }

    @Test
    void restartingRevertsGoThroughTheBudgetOneWorkloadAtATime() {
        deployment("a", "api", 2);
        deployment("a", "web", 2);
        RolloutResult run = runner(RolloutConfig.DEFAULTS).run(plan(restart("a", "api"), restart("a", "web")), false);
        assertEquals(2, run.applied().size());
        dispatcher.clear();
        completed.clear();

        io.meshwarden.enforce.Reverter.Prepared revert = new io.meshwarden.enforce.Reverter(client, clock)
                .prepare(applied(run), hold());
        RolloutResult result = runner(RolloutConfig.DEFAULTS).revert(revert);

        assertFalse(result.halted(), () -> String.valueOf(result.halt()));
        List<RecordingDispatcher.Request> patches = deploymentPatches();
        List<String> order = new ArrayList<>();
        patches.forEach(r -> order.add(name(r)));
        assertEquals(List.of("a/web", "a/api"), order, "last change first, one at a time");
        Instant webDone = completed.get("a/web");
        assertNotNull(webDone, "the first revert's rollout was awaited");
        assertFalse(patches.get(1).at().isBefore(webDone),
                "a/api reverted at " + patches.get(1).at() + " before a/web's rollout completed at " + webDone);
        for (String name : List.of("api", "web")) {
            Deployment d = client.apps().deployments().inNamespace("a").withName(name).get();
            assertNull(d.getSpec().getTemplate().getMetadata().getAnnotations() == null ? null
                    : d.getSpec().getTemplate().getMetadata().getAnnotations().get("sidecar.istio.io/proxyCPU"));
            assertEquals("sizing", d.getMetadata().getAnnotations().get(io.meshwarden.enforce.Hold.ANNOTATION));
            assertEquals("run-7-1", d.getMetadata().getAnnotations().get(io.meshwarden.enforce.Hold.RUN_ANNOTATION));
        }
        List<io.meshwarden.enforce.Reverter.Step> steps = revert.steps(result);
        assertEquals(List.of("reverted", "reverted"), steps.stream().map(io.meshwarden.enforce.Reverter.Step::result)
                .toList());
        assertTrue(steps.get(0).detail().startsWith("rolled out in"), steps.get(0).detail());
        assertEquals(2, revert.holds().size());
    }

    @Test
    void aRevertWhoseRolloutMissesItsDeadlineHaltsAndDefersTheRest() {
        deployment("a", "api", 2);
        deployment("a", "web", 2);
        RolloutResult run = runner(RolloutConfig.DEFAULTS).run(plan(restart("a", "api"), restart("a", "web")), false);
        stalled.add("a/web");
        dispatcher.clear();

        io.meshwarden.enforce.Reverter.Prepared revert = new io.meshwarden.enforce.Reverter(client, clock)
                .prepare(applied(run), hold());
        RolloutResult result = runner(RolloutConfig.DEFAULTS).revert(revert);

        assertTrue(result.halted());
        assertEquals(RolloutHaltReason.DEADLINE_EXCEEDED, result.halt().reason());
        assertEquals(List.of("a/web"), deploymentPatches().stream().map(RolloutRunnerTest::name).toList(),
                "a/api is not restarted while a/web has not rolled out");
        List<io.meshwarden.enforce.Reverter.Step> steps = revert.steps(result);
        assertEquals(List.of("reverted", "deferred"), steps.stream().map(io.meshwarden.enforce.Reverter.Step::result)
                .toList());
        assertEquals(1, revert.holds().size(), "only the reverted object is held");
    }
}

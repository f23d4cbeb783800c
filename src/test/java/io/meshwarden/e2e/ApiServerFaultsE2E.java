package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.orchestrate.EnforcementService;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 20, the API server killed mid-run: an enforcing run of 23 changes (20 CronJob pod-template labels, which
 * restart nothing, then 3 Deployments' proxy sizing, one rollout at a time) against a control plane of this class'
 * own; {@code kill -9} of the kube-apiserver once its audit log shows the k-th write of the run, and a restart.
 *
 * <p>The API server's audit log is the witness: every change must have been written by Meshwarden's client exactly
 * once over the interrupted run and the next one (a second, even identical, patch would show as a second request),
 * each object must carry one {@code MeshwardenApplied} Event, the {@code meshwarden.io/applied-by} annotation and a
 * managedFields entry of {@code meshwarden}. A run the API server stopped is {@code incomplete} with the halt
 * {@code API_UNAVAILABLE} (docs/enforcement.md, "Behaviour under API-server faults"), and the next run plans and
 * applies exactly the changes that had not landed; the interrupted run's plan, sent again, writes nothing.
 */
class ApiServerFaultsE2E {
    static final String AGENT = "meshwarden-faults-e2e";
    static final int CRON_JOBS = 20;
    static final int DEPLOYMENTS = 3;
    static final RolloutConfig CONFIG = RolloutConfig.DEFAULTS.withPollInterval(Duration.ofMillis(250))
            .withDeadline(Duration.ofSeconds(60)).withWritesPerSecond(4);
    static final Path FIGURES = Path.of("target", "faults-figures.txt");

    static FaultControlPlane cp;

    KubernetesClient client;
    String ns;
    String istioNs;
    List<MeshPolicy> policies;

    @BeforeAll
    static void up() {
        cp = FaultControlPlane.up("controlplane-faults");
    }

    @AfterAll
    static void down() {
        if (cp != null) {
            cp.down();
        }
    }

    @BeforeEach
    void setUp() {
        client = cp.client("meshwarden-faults-e2e-setup");
        ControlPlane.installIstioCrds(client);
        String suffix = ControlPlane.suffix();
        ns = ControlPlane.namespace(client, "e2e-fault-" + suffix, Map.of("istio-injection", "enabled"));
        istioNs = "e2e-fault-istio-" + suffix;
        for (int i = 0; i < CRON_JOBS; i++) {
            client.resource(EnforcementE2E.cronJob(ns, String.format("job-%02d", i))).create();
        }
        for (int i = 0; i < DEPLOYMENTS; i++) {
            client.resource(E2EObjects.deployment(ns, "web-" + i, 1, Map.of())).create();
        }
        for (int i = 0; i < DEPLOYMENTS; i++) {
            String name = "web-" + i;
            ControlPlane.await("Deployment " + name + " available", () -> {
                Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
                return d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getAvailableReplicas());
            });
        }
        policies = List.of(
                E2EObjects.policy("fault-jobs", "InjectionExclusion", "enforce", List.of(ns),
                        "{whenNativeSidecars: enforce}"),
                E2EObjects.policy("fault-sizing", "ProxySizing", "enforce", List.of(ns),
                        E2EObjects.proxySizingParameters()));
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    /**
     * Killed among the writes that restart nothing: the next write's read finds no server, the retries run out,
     * and the run stops there.
     */
    @ParameterizedTest(name = "kube-apiserver killed after write {0}")
    @ValueSource(ints = {3, 14})
    void killedDuringTheWritesThatRestartNothing(int k) throws Exception {
        Plan plan = plan();
        assertEquals(CRON_JOBS + DEPLOYMENTS, plan.changes().size(), plan::toString);

        Fault fault;
        RolloutResult first;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            Fault[] seen = new Fault[1];
            first = runKillingAfter(meshwarden, plan, k, seen, Duration.ZERO);
            fault = seen[0];
        }
        // Down until the run gave up: the restart comes after it, as an operator's would.
        cp.restartApiServer();

        assertTrue(first.halted(), () -> "the run went on without an API server: " + first.outcomes());
        assertEquals(RolloutHaltReason.API_UNAVAILABLE, first.halt().reason(), first.halt()::describe);
        assertEquals("incomplete", EnforcementService.outcome(false, plan, first), first.halt()::describe);
        assertTrue(first.halt().detail().contains("gave up after"), first.halt()::detail);
        // In plan order: applied, then at most the one it stopped at (failed), then deferred, never sent.
        List<RolloutOutcome.Status> statuses = first.outcomes().stream().map(RolloutOutcome::status).toList();
        int applied = first.applied().size();
        assertTrue(applied >= k, () -> "at least the " + k + " writes seen before the kill: " + statuses);
        assertTrue(statuses.subList(0, applied).stream().allMatch(s -> s == RolloutOutcome.Status.APPLIED),
                statuses::toString);
        List<RolloutOutcome.Status> rest = statuses.subList(applied, statuses.size());
        assertTrue(rest.stream().skip(1).allMatch(s -> s == RolloutOutcome.Status.DEFERRED)
                && (rest.isEmpty() || rest.get(0) == RolloutOutcome.Status.FAILED
                        || rest.get(0) == RolloutOutcome.Status.DEFERRED), statuses::toString);
        assertTrue(rest.stream().anyMatch(s -> s == RolloutOutcome.Status.DEFERRED), statuses::toString);

        // The next run: planned from the cluster, it holds exactly what is not there yet, and applies it.
        Set<ResourceRef> missing = plan.changes().stream().map(Change::target).filter(t -> !compliant(t))
                .collect(Collectors.toSet());
        Set<ResourceRef> notApplied = first.outcomes().stream().filter(o -> o.status() != RolloutOutcome.Status.APPLIED)
                .map(o -> o.change().target()).collect(Collectors.toSet());
        assertTrue(notApplied.containsAll(missing), () -> "recorded applied but not in the cluster: " + missing);
        Plan next = plan();
        assertEquals(missing, next.changes().stream().map(Change::target).collect(Collectors.toSet()),
                "the next run plans exactly the rest");
        RolloutResult second;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            second = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(next, false);
        }
        assertFalse(second.halted(), () -> second.halt().describe());
        assertEquals("applied", EnforcementService.outcome(false, next, second));
        assertEquals(missing.size(), second.applied().size(), () -> second.outcomes().toString());
        // The interrupted run's whole plan sent again, as a retry of it from a stale plan would: the applier
        // judges each change against the live object and sends nothing for what already holds.
        RolloutResult replay;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            replay = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(plan, false);
        }
        assertEquals("nothing-to-do", EnforcementService.outcome(false, plan, replay),
                () -> replay.outcomes().toString());

        Evidence evidence = assertEachChangeAppliedOnce(plan, List.of(first, second));
        figures("api-server kill -9 after write " + k + " (restart after the run gave up)", fault, first, second,
                evidence);
    }

    /**
     * Killed while a Deployment rolls out and started again 3 s later: the runner, polling the rollout, waits the
     * outage out within its deadline and the run completes with every change once.
     */
    @Test
    void killedDuringARolloutAndBackWithinItsDeadline() throws Exception {
        int k = CRON_JOBS + 2;
        Plan plan = plan();
        Fault fault;
        RolloutResult run;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            Fault[] seen = new Fault[1];
            run = runKillingAfter(meshwarden, plan, k, seen, Duration.ofSeconds(3));
            fault = seen[0];
        }
        assertFalse(run.halted(), () -> run.halt().describe());
        assertEquals("applied", EnforcementService.outcome(false, plan, run), () -> run.outcomes().toString());
        assertEquals(plan.changes().size(), run.applied().size(), () -> run.outcomes().toString());
        assertTrue(plan().changes().isEmpty(), "converged: nothing left to plan");
        Evidence evidence = assertEachChangeAppliedOnce(plan, List.of(run));
        figures("api-server kill -9 after write " + k + ", during a rollout (restart 3 s later)", fault, run, null,
                evidence);
    }

    /**
     * The API server gone when a pod-restarting change is about to start (as when it dies while the runner waits
     * for the previous rollout): the runner reads the workload's pods and HPA first, and that read finding no
     * server must stop the run like a write's would, incomplete with the rest deferred, not fail each remaining
     * change in turn.
     */
    @Test
    void goneWhenAPodRestartingChangeStarts() throws Exception {
        List<MeshPolicy> sizing = List.of(policies.get(1));
        Plan plan = plan(sizing);
        assertEquals(DEPLOYMENTS, plan.changes().size(), plan::toString);
        cp.kill("kube-apiserver");
        Fault fault = new Fault(0, Instant.now());
        RolloutResult first;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            first = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(plan, false);
        }
        cp.restartApiServer();

        List<RolloutOutcome.Status> statuses = first.outcomes().stream().map(RolloutOutcome::status).toList();
        assertTrue(first.halted(), () -> "the run went on without an API server: " + first.outcomes());
        assertEquals(RolloutHaltReason.API_UNAVAILABLE, first.halt().reason(), first.halt()::describe);
        assertEquals("incomplete", EnforcementService.outcome(false, plan, first), statuses::toString);
        assertEquals(List.of(RolloutOutcome.Status.DEFERRED, RolloutOutcome.Status.DEFERRED),
                statuses.subList(1, statuses.size()), () -> first.outcomes().toString());

        Plan next = plan(sizing);
        assertEquals(DEPLOYMENTS, next.changes().size(), "nothing was written, so the next run plans it all");
        RolloutResult second;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            second = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(next, false);
        }
        assertEquals("applied", EnforcementService.outcome(false, next, second), () -> second.outcomes().toString());
        Evidence evidence = assertEachChangeAppliedOnce(plan, List.of(first, second));
        figures("api-server gone when a pod-restarting change starts (restart after the run gave up)", fault, first,
                second, evidence);
    }

    // ------------------------------------------------------------------------------------------------ the fault

    /** @param writesSeen Meshwarden's answered writes in the audit log when the kill was sent */
    record Fault(int writesSeen, Instant killedAt) {
    }

    /**
     * Runs the plan in the background, kills the API server once the audit log shows {@code k} answered writes of
     * Meshwarden's, and (unless {@code restartAfter} is zero) starts it again that much later while the run goes on.
     */
    RolloutResult runKillingAfter(KubernetesClient meshwarden, Plan plan, int k, Fault[] fault, Duration restartAfter)
            throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Future<RolloutResult> running = worker.submit(() -> new RolloutRunner(meshwarden, CONFIG,
                    ApiRetry.DEFAULT).run(plan, false));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int seen;
            while ((seen = meshwardenWrites().size()) < k) {
                if (running.isDone()) {
                    fail("the run ended after " + seen + " writes, before write " + k + ": " + running.get());
                }
                if (System.nanoTime() > deadline) {
                    fail("no write " + k + " within 120 s; seen " + seen);
                }
                Thread.sleep(10);
            }
            cp.kill("kube-apiserver");
            fault[0] = new Fault(seen, Instant.now());
            if (!restartAfter.isZero()) {
                Thread.sleep(restartAfter.toMillis());
                cp.restartApiServer();
            }
            return running.get(180, TimeUnit.SECONDS);
        } finally {
            worker.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------------ evidence

    record Evidence(int changesChecked, int duplicates, int meshwardenWrites) {
    }

    /**
     * The audit log, the Events and the objects agree: one answered write of Meshwarden's per changed object
     * across all runs, one MeshwardenApplied Event each (none where a run recorded that its Event could not be
     * created), the annotation and the field manager.
     */
    Evidence assertEachChangeAppliedOnce(Plan plan, List<RolloutResult> runs) {
        List<FaultControlPlane.Write> writes = meshwardenWrites();
        Map<String, Long> perObject = new TreeMap<>(writes.stream().collect(Collectors.groupingBy(
                w -> w.resource() + "/" + w.name(), Collectors.counting())));
        Map<String, Long> once = new TreeMap<>();
        Map<String, Long> eventsExpected = new TreeMap<>();
        for (Change c : plan.changes()) {
            String key = resource(c.target()) + "/" + c.target().name();
            once.put(key, 1L);
            boolean eventLost = runs.stream().flatMap(r -> r.outcomes().stream())
                    .anyMatch(o -> o.change().target().equals(c.target()) && o.apply() != null
                            && o.apply().eventError() != null);
            eventsExpected.put(c.target().name(), eventLost ? 0L : 1L);
        }
        int duplicates = (int) perObject.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
        assertEquals(once, perObject, "answered writes by " + AGENT + " per object, from the API server's audit log");

        Map<String, Long> events = new TreeMap<>();
        plan.changes().forEach(c -> events.put(c.target().name(), 0L));
        client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> Applier.EVENT_REASON.equals(e.getReason()))
                .forEach(e -> events.merge(e.getInvolvedObject().getName(), 1L, Long::sum));
        assertEquals(eventsExpected, events, Applier.EVENT_REASON + " Events per object");

        for (Change c : plan.changes()) {
            GenericKubernetesResource live = get(c.target());
            assertEquals(String.join(",", c.policies()), live.getMetadata().getAnnotations().get(Applier.APPLIED_BY),
                    c.target()::toString);
            EnforcementE2E.assertManagedByMeshwarden(live, isCronJob(c.target()) ? "f:sidecar.istio.io/inject"
                    : "f:sidecar.istio.io/proxyCPU");
            assertTrue(compliant(c.target()), c.target()::toString);
        }
        return new Evidence(plan.changes().size(), duplicates, writes.size());
    }

    /** Meshwarden's answered writes to the test's workloads (its Events are counted from the Event objects). */
    List<FaultControlPlane.Write> meshwardenWrites() {
        return cp.writes().stream().filter(w -> AGENT.equals(w.userAgent()) && ns.equals(w.namespace())
                && w.succeeded() && w.subresource() == null
                && ("cronjobs".equals(w.resource()) || "deployments".equals(w.resource()))).toList();
    }

    void figures(String fault, Fault f, RolloutResult first, RolloutResult second, Evidence e) {
        long after = meshwardenWrites().stream().filter(w -> Instant.parse(w.at()).isAfter(f.killedAt())).count();
        String line = String.format("%s | writes seen at the kill %d | first run: applied %d, failed %d, deferred %d,"
                + " halt %s | next run: %s | changes checked %d | writes by Meshwarden %d, after the fault %d |"
                + " duplicates %d%n", fault, f.writesSeen(), first.applied().size(),
                first.withStatus(RolloutOutcome.Status.FAILED).size(), first.deferred().size(),
                first.halted() ? first.halt().reason() : "none",
                second == null ? "-" : "applied " + second.applied().size(), e.changesChecked(), e.meshwardenWrites(),
                after, e.duplicates());
        System.out.print("FAULTS " + line);
        try {
            Files.writeString(FIGURES, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    Plan plan() {
        return plan(policies);
    }

    Plan plan(List<MeshPolicy> policies) {
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, istioNs).read();
        return Planner.plan(policies, PolicyTypes.EVALUATOR.evaluate(policies, snapshot), snapshot);
    }

    static boolean isCronJob(ResourceRef t) {
        return "CronJob".equals(t.kind());
    }

    static String resource(ResourceRef t) {
        return isCronJob(t) ? "cronjobs" : "deployments";
    }

    GenericKubernetesResource get(ResourceRef t) {
        return client.genericKubernetesResources(t.apiVersion(), t.kind()).inNamespace(t.namespace())
                .withName(t.name()).get();
    }

    boolean compliant(ResourceRef t) {
        GenericKubernetesResource live = get(t);
        if (isCronJob(t)) {
            return "false".equals(live.get("spec", "jobTemplate", "spec", "template", "metadata", "labels",
                    "sidecar.istio.io/inject"));
        }
        return "100m".equals(EnforcementE2E.proxyCpu(live));
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the in-process fault tests enforce and how they judge it: CronJobs whose pod-template label InjectionExclusion
 * sets (restarting nothing) and Deployments whose proxy sizing ProxySizing sets (one rollout each, through the change
 * budget), in a namespace of their own on a {@link FaultControlPlane}; and the evidence that every change was applied
 * exactly once, read from the API server's audit log, the Events and the objects.
 */
final class FaultWorkloads {
    static final Path FIGURES = Path.of("target", "faults-figures.txt");

    final FaultControlPlane cp;
    /** The test's own client (setup, checks); its writes never count as Meshwarden's. */
    final KubernetesClient client;
    final String ns;
    final String istioNs;
    final List<MeshPolicy> policies;
    private final Predicate<FaultControlPlane.Write> meshwarden;

    private FaultWorkloads(FaultControlPlane cp, KubernetesClient client, String ns, String istioNs,
            Predicate<FaultControlPlane.Write> meshwarden) {
        this.cp = cp;
        this.client = client;
        this.ns = ns;
        this.istioNs = istioNs;
        this.meshwarden = meshwarden;
        this.policies = List.of(
                E2EObjects.policy("fault-jobs", "InjectionExclusion", "enforce", List.of(ns),
                        "{whenNativeSidecars: enforce}"),
                E2EObjects.policy("fault-sizing", "ProxySizing", "enforce", List.of(ns),
                        E2EObjects.proxySizingParameters()));
    }

    /**
     * Creates the workloads and waits for the Deployments to be available.
     *
     * @param meshwarden which audit log entries are Meshwarden's writes (by user agent or user)
     */
    static FaultWorkloads create(FaultControlPlane cp, String setupAgent, String prefix, int cronJobs,
            int deployments, Predicate<FaultControlPlane.Write> meshwarden) {
        KubernetesClient client = cp.client(setupAgent);
        ControlPlane.installIstioCrds(client);
        String suffix = ControlPlane.suffix();
        String ns = ControlPlane.namespace(client, prefix + "-" + suffix, Map.of("istio-injection", "enabled"));
        for (int i = 0; i < cronJobs; i++) {
            client.resource(EnforcementE2E.cronJob(ns, String.format("job-%02d", i))).create();
        }
        for (int i = 0; i < deployments; i++) {
            client.resource(E2EObjects.deployment(ns, "web-" + i, 1, Map.of())).create();
        }
        for (int i = 0; i < deployments; i++) {
            String name = "web-" + i;
            ControlPlane.await("Deployment " + name + " available", () -> {
                Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
                return d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getAvailableReplicas());
            });
        }
        return new FaultWorkloads(cp, client, ns, prefix + "-istio-" + suffix, meshwarden);
    }

    void delete() {
        ControlPlane.deleteNamespaces(client, ns);
        client.close();
    }

    Plan plan() {
        return plan(policies, client, ApiRetry.DEFAULT);
    }

    /** Plans as a run does: the live snapshot (read through {@code reader}), evaluated and planned. */
    Plan plan(List<MeshPolicy> policies, KubernetesClient reader, ApiRetry retry) {
        ClusterSnapshot snapshot = new LiveSnapshotReader(reader, 500, istioNs, retry).read();
        return Planner.plan(policies, PolicyTypes.EVALUATOR.evaluate(policies, snapshot), snapshot);
    }

    // ------------------------------------------------------------------------------------------------ the fault

    /** @param writesSeen Meshwarden's answered writes in the audit log when the fault was injected */
    record Fault(int writesSeen, Instant at) {
    }

    record Faulted(RolloutResult result, Fault fault) {
    }

    /**
     * Runs the plan in the background as {@code agent}, injects {@code fault} (which may also repair it) once the
     * audit log shows {@code k} answered writes of Meshwarden's, and returns the run's result.
     */
    Faulted runFaultingAfter(String agent, Plan plan, RolloutConfig config, int k, Runnable fault) throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try (KubernetesClient meshwarden = cp.client(agent)) {
            Future<RolloutResult> running = worker.submit(() -> new RolloutRunner(meshwarden, config,
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
            Instant at = Instant.now();
            fault.run();
            return new Faulted(running.get(180, TimeUnit.SECONDS), new Fault(seen, at));
        } finally {
            worker.shutdownNow();
        }
    }

    /**
     * A run the API server stopped: {@code incomplete} with {@code API_UNAVAILABLE}, its outcomes in plan order
     * (applied, at most the one it stopped at failed, the rest deferred). The next run, planned from the cluster,
     * holds exactly what is not there yet and applies it; the interrupted run's plan sent again writes nothing.
     *
     * @return the next run
     */
    RolloutResult assertIncompleteThenResumed(Plan plan, RolloutResult first, int k, String agent,
            RolloutConfig config) {
        assertTrue(first.halted(), () -> "the run went on without an API server: " + first.outcomes());
        assertEquals(RolloutHaltReason.API_UNAVAILABLE, first.halt().reason(), first.halt()::describe);
        assertEquals("incomplete", EnforcementService.outcome(false, plan, first), first.halt()::describe);
        assertTrue(first.halt().detail().contains("gave up after"), first.halt()::detail);
        List<RolloutOutcome.Status> statuses = first.outcomes().stream().map(RolloutOutcome::status).toList();
        int applied = first.applied().size();
        assertTrue(applied >= k, () -> "at least the " + k + " writes seen before the fault: " + statuses);
        assertTrue(statuses.subList(0, applied).stream().allMatch(s -> s == RolloutOutcome.Status.APPLIED),
                statuses::toString);
        List<RolloutOutcome.Status> rest = statuses.subList(applied, statuses.size());
        assertTrue(rest.stream().skip(1).allMatch(s -> s == RolloutOutcome.Status.DEFERRED)
                && (rest.isEmpty() || rest.get(0) == RolloutOutcome.Status.FAILED
                        || rest.get(0) == RolloutOutcome.Status.DEFERRED), statuses::toString);
        assertTrue(rest.stream().anyMatch(s -> s == RolloutOutcome.Status.DEFERRED), statuses::toString);

        Set<ResourceRef> missing = plan.changes().stream().map(Change::target).filter(t -> !compliant(t))
                .collect(Collectors.toSet());
        Set<ResourceRef> notApplied = first.outcomes().stream().filter(o -> o.status() != RolloutOutcome.Status.APPLIED)
                .map(o -> o.change().target()).collect(Collectors.toSet());
        assertTrue(notApplied.containsAll(missing), () -> "recorded applied but not in the cluster: " + missing);
        Plan next = plan(plan.changes().stream().map(Change::policies).flatMap(List::stream).distinct()
                .map(name -> policies.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow())
                .toList(), client, ApiRetry.DEFAULT);
        assertEquals(missing, next.changes().stream().map(Change::target).collect(Collectors.toSet()),
                "the next run plans exactly the rest");
        RolloutResult second;
        RolloutResult replay;
        try (KubernetesClient meshwarden = cp.client(agent)) {
            second = new RolloutRunner(meshwarden, config, ApiRetry.DEFAULT).run(next, false);
            // The interrupted run's whole plan sent again, as a retry of it from a stale plan would: the applier
            // judges each change against the live object and sends nothing for what already holds.
            replay = new RolloutRunner(meshwarden, config, ApiRetry.DEFAULT).run(plan, false);
        }
        assertFalse(second.halted(), () -> second.halt().describe());
        assertEquals("applied", EnforcementService.outcome(false, next, second));
        assertEquals(missing.size(), second.applied().size(), () -> second.outcomes().toString());
        assertEquals("nothing-to-do", EnforcementService.outcome(false, plan, replay),
                () -> replay.outcomes().toString());
        return second;
    }

    /** One figures line for a run interrupted by {@code fault} (and the next run, when there was one). */
    void figures(String fault, Fault f, RolloutResult first, RolloutResult second, Evidence e) {
        long after = meshwardenWrites().stream().filter(w -> Instant.parse(w.at()).isAfter(f.at())).count();
        figure(String.format("%s | writes seen at the fault %d | first run: applied %d, failed %d, deferred %d,"
                + " halt %s | next run: %s | changes checked %d | writes by Meshwarden %d, after the fault %d |"
                + " duplicates %d%n", fault, f.writesSeen(), first.applied().size(),
                first.withStatus(RolloutOutcome.Status.FAILED).size(), first.deferred().size(),
                first.halted() ? first.halt().reason() : "none",
                second == null ? "-" : "applied " + second.applied().size(), e.changesChecked(), e.meshwardenWrites(),
                after, e.duplicates()));
    }

    /** The changes' evidence: how many were checked, writes beyond one per object, Meshwarden's writes. */
    record Evidence(int changesChecked, int duplicates, int meshwardenWrites, int eventsLost) {
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
            once.put(resource(c.target()) + "/" + c.target().name(), 1L);
            boolean eventLost = runs.stream().flatMap(r -> r.outcomes().stream())
                    .anyMatch(o -> o.change().target().equals(c.target()) && o.apply() != null
                            && o.apply().eventError() != null);
            eventsExpected.put(c.target().name(), eventLost ? 0L : 1L);
        }
        int duplicates = (int) perObject.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
        assertEquals(once, perObject, "answered writes by Meshwarden per object, from the API server's audit log");

        Map<String, Long> events = new TreeMap<>();
        plan.changes().forEach(c -> events.put(c.target().name(), 0L));
        appliedEvents(client, ns).forEach((name, n) -> events.merge(name, n, Long::sum));
        assertEquals(eventsExpected, events, Applier.EVENT_REASON + " Events per object");

        for (Change c : plan.changes()) {
            GenericKubernetesResource live = get(c.target());
            assertEquals(String.join(",", c.policies()), live.getMetadata().getAnnotations().get(Applier.APPLIED_BY),
                    c.target()::toString);
            EnforcementE2E.assertManagedByMeshwarden(live, isCronJob(c.target()) ? "f:sidecar.istio.io/inject"
                    : "f:sidecar.istio.io/proxyCPU");
            assertTrue(compliant(c.target()), c.target()::toString);
        }
        int eventsLost = (int) eventsExpected.values().stream().filter(n -> n == 0).count();
        return new Evidence(plan.changes().size(), duplicates, writes.size(), eventsLost);
    }

    /** {@code MeshwardenApplied} Events in {@code ns}, per involved object's name. */
    static Map<String, Long> appliedEvents(KubernetesClient client, String ns) {
        Map<String, Long> events = new TreeMap<>();
        client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> Applier.EVENT_REASON.equals(e.getReason()))
                .forEach(e -> events.merge(e.getInvolvedObject().getName(), 1L, Long::sum));
        return events;
    }

    /** Meshwarden's answered writes to the test's workloads (its Events are counted from the Event objects). */
    List<FaultControlPlane.Write> meshwardenWrites() {
        return cp.writes().stream().filter(w -> meshwarden.test(w) && ns.equals(w.namespace())
                && w.succeeded() && w.subresource() == null
                && ("cronjobs".equals(w.resource()) || "deployments".equals(w.resource()))).toList();
    }

    static boolean isCronJob(ResourceRef t) {
        return "CronJob".equals(t.kind());
    }

    static String resource(ResourceRef t) {
        return isCronJob(t) ? "cronjobs" : "deployments";
    }

    /**
     * The test's own read of an object. A read without an answer (code 0: a timeout or a dropped connection, as right
     * after a fault healed) is tried again, up to three times: the harness's reads are not what is under test.
     */
    GenericKubernetesResource get(ResourceRef t) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.genericKubernetesResources(t.apiVersion(), t.kind()).inNamespace(t.namespace())
                        .withName(t.name()).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 0 || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    boolean compliant(ResourceRef t) {
        GenericKubernetesResource live = get(t);
        if (isCronJob(t)) {
            return "false".equals(live.get("spec", "jobTemplate", "spec", "template", "metadata", "labels",
                    "sidecar.istio.io/inject"));
        }
        return "100m".equals(EnforcementE2E.proxyCpu(live));
    }

    /** One line of the fault figures (BENCHMARKS.md): printed and appended to target/faults-figures.txt. */
    static void figure(String line) {
        System.out.print("FAULTS " + line);
        try {
            Files.writeString(FIGURES, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }
}

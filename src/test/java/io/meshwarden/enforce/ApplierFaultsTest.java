package io.meshwarden.enforce;

import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.drop;
import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.pass;
import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.slow;
import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult.Status;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.orchestrate.EnforcementService;
import io.meshwarden.orchestrate.LeaderLease;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.ConnectionDroppingProxy;
import io.meshwarden.testing.FaultInjectingDispatcher;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Applying against an API server that fails: transient faults are retried within the bounds, a write whose answer
 * was lost is recognised instead of being applied or counted twice, refusals fail at once, a run that cannot finish
 * records exactly what it applied and the next run applies only the rest, and a replica that lost the lease sends
 * no further write. Writes are counted where they reach the CRUD store behind the fault injection.
 */
class ApplierFaultsTest {
    private static final String CRONJOBS = "/apis/batch/v1/namespaces/apps/cronjobs/";
    private static final String EVENTS = "/api/v1/namespaces/apps/events";
    private static final String PDBS = "/apis/policy/v1/namespaces/apps/poddisruptionbudgets";
    private static final String INJECT = "/spec/jobTemplate/spec/template/metadata/labels/sidecar.istio.io~1inject";
    private static final ApiRetry RETRY = new ApiRetry(4, Duration.ofMillis(10), Duration.ofMillis(50),
            Duration.ofSeconds(5), ApiRetry.Sleeper.SYSTEM);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final List<MeshPolicy> POLICIES = List.of(MockCluster.policy("jobs", "InjectionExclusion",
            "enforce", "{}"));

    private FaultInjectingDispatcher faults;
    private KubernetesMockServer server;
    private ConnectionDroppingProxy proxy;
    /** Straight to the server, for setting up and checking; never faulted through the proxy. */
    private KubernetesClient setup;
    private KubernetesClient client;
    private KubernetesClient impatient;

    @BeforeEach
    void start() throws IOException {
        faults = new FaultInjectingDispatcher(new KubernetesCrudDispatcher());
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
        server.init();
        proxy = new ConnectionDroppingProxy(server.getHostName(), server.getPort());
        setup = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
        // fabric8's own retry stays on (its default): the applier must bypass it, or the counts would multiply.
        client = server.createClient(b -> b.editOrNewConfig().withMasterUrl(proxy.url()).withRequestTimeout(10_000)
                .endConfig());
        impatient = server.createClient(b -> b.editOrNewConfig().withMasterUrl(proxy.url())
                .withRequestTimeout((int) TIMEOUT.toMillis()).endConfig());
        setup.resource("""
                apiVersion: v1
                kind: Namespace
                metadata: {name: apps, labels: {istio-injection: enabled}}
                """).create();
        for (String name : List.of("a", "b", "c", "d")) {
            setup.resource(MockCluster.cronJob("apps", name)).create();
        }
        faults.clearRecords();
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        impatient.close();
        setup.close();
        proxy.close();
        server.destroy();
    }

    // ---------------------------------------------------------------- fixtures

    private static Change label(String cronJob) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("spec").putObject("jobTemplate").putObject("spec").putObject("template")
                .putObject("metadata").putObject("labels").put("sidecar.istio.io/inject", "false");
        return new Change("CronJob/apps/" + cronJob + "#1", new ResourceRef("batch/v1", "CronJob", "apps", cronJob),
                Change.PATCH, body, false, List.of("jobs"), List.of("injection-job-sidecar"), "test");
    }

    private static Plan plan(Change... changes) {
        return new Plan(List.of(changes), List.of());
    }

    /** What a run plans: read the cluster, evaluate, plan. */
    private Plan planFromCluster() {
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, "istio-system", RETRY).read();
        return Planner.plan(POLICIES, PolicyTypes.EVALUATOR.evaluate(POLICIES, snapshot), snapshot);
    }

    private Applier applier(KubernetesClient c) {
        return new Applier(c, Clock.systemUTC(), RETRY);
    }

    private RolloutRunner runner(BooleanSupplier guard, RolloutRateLimiter limiter) {
        return new RolloutRunner(client, applier(client), RolloutConfig.DEFAULTS, Clock.systemUTC(),
                RolloutSleeper.SYSTEM, limiter).guardedBy(guard);
    }

    private boolean labelled(String cronJob) {
        ObjectNode cron = setup.getKubernetesSerialization().convertValue(setup.batch().v1().cronjobs()
                .inNamespace("apps").withName(cronJob).get(), ObjectNode.class);
        return "false".equals(cron.at(INJECT).asText(null));
    }

    private long patchesSent(String cronJob) {
        return faults.received("PATCH", CRONJOBS + cronJob);
    }

    private long patchesApplied(String cronJob) {
        return faults.applied("PATCH", CRONJOBS + cronJob);
    }

    private static List<String> ids(List<RolloutOutcome> outcomes) {
        return outcomes.stream().map(o -> o.change().id()).toList();
    }

    // ---------------------------------------------------------------- retries

    @Test
    void transientFailuresOfAPatchAreRetriedAndItIsAppliedOnce() {
        faults.on("PATCH", CRONJOBS + "a", status(503, 1), status(500), drop(false));

        Outcome o = applier(client).apply(plan(label("a")), false).outcomes().get(0);

        assertEquals(Status.APPLIED, o.status(), o::toString);
        assertEquals(4, o.attempts());
        assertNull(o.detail(), "the last attempt's own answer came back");
        assertEquals(4, patchesSent("a"), faults::report);
        assertEquals(1, patchesApplied("a"), faults::report);
        assertTrue(labelled("a"));
        Duration waited = faults.gap("PATCH", CRONJOBS + "a");
        assertTrue(waited.toMillis() >= 950, "Retry-After: 1 was honoured, waited " + waited);
        assertEquals(1, faults.applied("POST", EVENTS), "one Event for one change");
    }

    @Test
    void aPatchWhoseAnswerTimedOutAfterItWasAppliedIsRecordedOnceAsApplied() {
        faults.on("PATCH", CRONJOBS + "a", slow(TIMEOUT.multipliedBy(3), true));

        Outcome o = applier(impatient).apply(plan(label("a")), false).outcomes().get(0);

        assertEquals(Status.APPLIED, o.status(), o::toString);
        assertTrue(o.detail().startsWith("applied by attempt 1, whose answer was lost (")
                && o.detail().contains("timeout"), o.detail());
        assertEquals(1, o.attempts());
        assertEquals(1, patchesSent("a"), "not resent: the re-read showed it applied\n" + faults.report());
        assertEquals(1, patchesApplied("a"));
        assertFalse(o.revertPatch().isEmpty(), "revertible like any applied patch");
        assertEquals(1, faults.applied("POST", EVENTS));
    }

    @Test
    void aDroppedConnectionIsResentOnlyWhenTheWriteDidNotLand() {
        faults.on("PATCH", CRONJOBS + "a", drop(true));
        faults.on("PATCH", CRONJOBS + "b", drop(false));

        ApplyResult result = applier(client).apply(plan(label("a"), label("b")), false);

        assertEquals(2, proxy.drops());
        Outcome a = result.of("CronJob/apps/a#1");
        assertEquals(Status.APPLIED, a.status());
        assertTrue(a.detail().startsWith("applied by attempt 1, whose answer was lost"), a.detail());
        assertEquals(1, patchesSent("a"), faults::report);
        Outcome b = result.of("CronJob/apps/b#1");
        assertEquals(Status.APPLIED, b.status());
        assertNull(b.detail());
        assertEquals(2, b.attempts());
        assertEquals(2, patchesSent("b"), faults::report);
        assertEquals(1, patchesApplied("a"));
        assertEquals(1, patchesApplied("b"));
        assertTrue(labelled("a") && labelled("b"));
    }

    @Test
    void aCreateWhoseAnswerWasLostIsRecognisedAsCreated() {
        ObjectNode pdb = JsonNodeFactory.instance.objectNode();
        pdb.putObject("spec").put("maxUnavailable", 1).putObject("selector").putObject("matchLabels").put("app", "a");
        Change create = new Change("PodDisruptionBudget/apps/a#1", new ResourceRef("policy/v1",
                "PodDisruptionBudget", "apps", "a"), Change.CREATE, pdb, false, List.of("ha"),
                List.of("ha-pdb-missing"), "test");
        faults.on("POST", PDBS, drop(true));

        Outcome o = applier(client).apply(plan(create), false).outcomes().get(0);

        assertEquals(Status.APPLIED, o.status(), o::toString);
        assertEquals(Change.CREATE, o.operation());
        assertTrue(o.detail().startsWith("created by attempt 1, whose answer was lost"), o.detail());
        assertNull(o.revertPatch(), "reverted by deleting it, as any object it created");
        assertEquals(1, faults.received("POST", PDBS), faults::report);
        assertEquals(1, setup.policy().v1().podDisruptionBudget().inNamespace("apps").list().getItems().size());
    }

    /**
     * The Event is a write like the patch: its answer lost, it is sent again, and the retry meeting the Event the
     * first attempt created (409) counts as recorded, so the change has one Event, not none and not two.
     */
    @Test
    void anEventWhoseAnswerWasLostIsRetriedAndRecordedOnce() {
        faults.on("POST", EVENTS, drop(true), drop(false));

        Outcome o = applier(client).apply(plan(label("a")), false).outcomes().get(0);

        assertEquals(Status.APPLIED, o.status(), o::toString);
        assertNull(o.eventError(), "recorded: the first attempt landed");
        // The third met the first's Event (409): one Event in the store.
        assertEquals(3, faults.received("POST", EVENTS), faults::report);
        assertEquals(1, setup.v1().events().inNamespace("apps").list().getItems().size());
    }

    @Test
    void refusalsFailAtOnceAndTheOtherChangesAreApplied() {
        faults.always("PATCH", CRONJOBS + "a", status(403));
        faults.always("PATCH", CRONJOBS + "b", status(422));

        ApplyResult result = applier(client).apply(plan(label("a"), label("b"), label("c")), false);

        Outcome a = result.of("CronJob/apps/a#1");
        assertEquals(Status.FAILED, a.status());
        assertTrue(a.detail().startsWith("HTTP 403: injected fault"), a.detail());
        Outcome b = result.of("CronJob/apps/b#1");
        assertEquals(Status.FAILED, b.status());
        assertTrue(b.detail().startsWith("HTTP 422: injected fault"), b.detail());
        assertEquals(1, patchesSent("a"), faults::report);
        assertEquals(1, patchesSent("b"), faults::report);
        assertEquals(Status.APPLIED, result.of("CronJob/apps/c#1").status());
    }

    @Test
    void aConflictIsReReadAndJudgedAgainNeverResentBlindly() {
        faults.on("PATCH", CRONJOBS + "a", status(409), status(409));
        faults.on("PATCH", CRONJOBS + "b", status(409));

        ApplyResult result = applier(client).apply(plan(label("a"), label("b")), false);

        Outcome a = result.of("CronJob/apps/a#1");
        assertEquals(Status.FAILED, a.status());
        assertTrue(a.detail().startsWith("conflict: the object changed again while retrying (HTTP 409"),
                a.detail());
        assertEquals(2, patchesSent("a"), "a second conflict is not retried\n" + faults.report());
        assertEquals(Status.APPLIED, result.of("CronJob/apps/b#1").status());
        List<String> b = faults.received().stream().filter(r -> r.contains(CRONJOBS + "b")).toList();
        int first = b.indexOf(b.stream().filter(r -> r.startsWith("PATCH")).findFirst().orElseThrow());
        assertTrue(b.subList(first + 1, b.size()).stream().anyMatch(r -> r.startsWith("GET")),
                "re-read before the second patch: " + b);
    }

    // ---------------------------------------------------------------- runs that cannot finish

    @Test
    void aRunThatCannotFinishRecordsWhatItAppliedAndTheNextRunAppliesOnlyTheRest() {
        Plan first = planFromCluster();
        assertEquals(List.of("CronJob/apps/a#1", "CronJob/apps/b#1", "CronJob/apps/c#1", "CronJob/apps/d#1"),
                first.changes().stream().map(Change::id).toList());
        // Two patches go through, then the API server answers 503 to every patch.
        faults.always("PATCH", CRONJOBS + "*", pass(), pass(), status(503));
        faults.clearRecords();

        RolloutResult r1 = runner(() -> true, RolloutRateLimiter.UNLIMITED).run(first, false);

        assertEquals(RolloutHaltReason.API_UNAVAILABLE, r1.halt().reason(), r1::toString);
        assertEquals(List.of("CronJob/apps/a#1", "CronJob/apps/b#1"), ids(r1.applied()));
        RolloutOutcome c = r1.of("CronJob/apps/c#1");
        assertEquals(RolloutOutcome.Status.FAILED, c.status());
        assertTrue(c.detail().startsWith("HTTP 503: injected fault") && c.detail().contains(
                "(gave up after 4 attempts)"), c.detail());
        assertEquals(List.of("CronJob/apps/d#1"), ids(r1.deferred()), "not attempted");
        assertTrue(r1.of("CronJob/apps/d#1").detail().startsWith("deferred: rollout halted, API_UNAVAILABLE at "
                + "CronJob apps/c"), r1.of("CronJob/apps/d#1").detail());
        assertEquals(0, patchesSent("d"));
        assertEquals(2 + RETRY.maxAttempts(), faults.received("PATCH", CRONJOBS), faults::report);
        assertEquals(2, faults.applied("PATCH", CRONJOBS), faults::report);

        EnforcementRun run = new EnforcementRun("run-1", "test", "tester", false, null, null,
                EnforcementService.outcome(false, first, r1), first, r1.outcomes(), r1.halt(), List.of(), List.of(),
                null);
        EnforcementRun.Summary s = run.summary();
        assertEquals("incomplete", s.outcome());
        assertEquals(List.of(4, 2, 1, 1), List.of(s.changes(), s.applied(), s.failed(), s.deferred()));
        assertTrue(s.halt().startsWith("API_UNAVAILABLE at CronJob apps/c: the API server kept failing: HTTP 503"),
                s.halt());
        assertEquals(2, run.applyResult().applied().size(), "revert would restore exactly what was applied");

        // The API server recovers: the next run plans from the cluster again.
        faults.clearScripts();
        faults.clearRecords();
        Plan second = planFromCluster();
        assertEquals(List.of("CronJob/apps/c#1", "CronJob/apps/d#1"), second.changes().stream().map(Change::id)
                .toList());

        RolloutResult r2 = runner(() -> true, RolloutRateLimiter.UNLIMITED).run(second, false);

        assertFalse(r2.halted());
        assertEquals(List.of("CronJob/apps/c#1", "CronJob/apps/d#1"), ids(r2.applied()));
        assertEquals(2, faults.received("PATCH", CRONJOBS), "only the rest: " + faults.report());
        assertEquals("applied", EnforcementService.outcome(false, second, r2));
        assertTrue(planFromCluster().isEmpty());
    }

    // ---------------------------------------------------------------- leadership

    @Test
    void leaseLostAfterTheRunnersCheckStillSendsNoWrite() {
        // The runner asks before b, the applier reads b, and only then is the lease gone.
        BooleanSupplier leader = () -> faults.received("GET", CRONJOBS + "b") == 0;

        RolloutResult r = runner(leader, RolloutRateLimiter.UNLIMITED).run(plan(label("a"), label("b")), false);

        assertEquals(RolloutHaltReason.LEADERSHIP_LOST, r.halt().reason());
        assertEquals("CronJob/apps/b#1", r.halt().changeId());
        assertEquals(List.of("CronJob/apps/a#1"), ids(r.applied()));
        assertEquals(List.of("CronJob/apps/b#1"), ids(r.deferred()));
        assertTrue(faults.received("GET", CRONJOBS + "b") > 0, "the applier did read b");
        assertEquals(0, patchesSent("b"), faults::report);
        assertFalse(labelled("b"));
    }

    @Test
    void leaseLostWhileWaitingToRetryAWriteStopsTheRetry() {
        faults.on("PATCH", CRONJOBS + "a", status(503));
        BooleanSupplier leader = () -> faults.injected().isEmpty();

        RolloutResult r = runner(leader, RolloutRateLimiter.UNLIMITED).run(plan(label("a"), label("b")), false);

        assertEquals(RolloutHaltReason.LEADERSHIP_LOST, r.halt().reason());
        RolloutOutcome a = r.of("CronJob/apps/a#1");
        assertEquals(RolloutOutcome.Status.FAILED, a.status());
        assertTrue(a.detail().startsWith("not applied: attempt 1 failed (HTTP 503") && a.detail().endsWith(
                "this replica lost the leadership before retrying"), a.detail());
        assertEquals(List.of("CronJob/apps/b#1"), ids(r.deferred()));
        assertEquals(1, patchesSent("a"), faults::report);
        assertEquals(0, patchesSent("b"));
    }

    @Test
    void aRealLeaseTakenOverMidRunStopsTheWrites() throws Exception {
        KubernetesClient electing = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0)
                .endConfig());
        LeaderLease lease = new LeaderLease(electing, "meshwarden-system", "meshwarden-leader", "replica-1",
                Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(100));
        lease.start();
        try {
            await("the lease", lease::isLeader);
            AtomicInteger writes = new AtomicInteger();
            // After the first change, another replica takes the lease over; wait until this one has noticed.
            RolloutRateLimiter takeOverAfterFirst = () -> {
                if (writes.incrementAndGet() == 2) {
                    takeOver();
                    await("the lease to be lost", () -> !lease.isLeader());
                }
            };
            Plan plan = plan(label("a"), label("b"), label("c"));

            RolloutResult r = runner(lease::isLeader, takeOverAfterFirst).run(plan, false);

            assertEquals(RolloutHaltReason.LEADERSHIP_LOST, r.halt().reason());
            assertTrue(r.halt().detail().contains("no longer the leader"), r.halt().detail());
            assertEquals(List.of("CronJob/apps/a#1"), ids(r.applied()));
            assertEquals(List.of("CronJob/apps/b#1", "CronJob/apps/c#1"), ids(r.deferred()));
            assertEquals(1, faults.received("PATCH", CRONJOBS), faults::report);
            EnforcementRun run = new EnforcementRun("run-1", "test", "tester", false, null, null,
                    EnforcementService.outcome(false, plan, r), plan, r.outcomes(), r.halt(), List.of(), List.of(),
                    null);
            assertEquals("halted", run.outcome());
            assertTrue(run.summary().halt().startsWith("LEADERSHIP_LOST at CronJob apps/b"), run.summary().halt());
        } finally {
            lease.stop();
            electing.close();
        }
    }

    /** Another replica writes itself into the Lease, as if this one had missed its renewals. */
    private void takeOver() {
        for (int attempt = 1; ; attempt++) {
            try {
                Lease l = setup.leases().inNamespace("meshwarden-system").withName("meshwarden-leader").get();
                l.getSpec().setHolderIdentity("replica-2");
                l.getSpec().setLeaseDurationSeconds(60);
                l.getSpec().setRenewTime(ZonedDateTime.now());
                setup.leases().inNamespace("meshwarden-system").resource(l).update();
                return;
            } catch (KubernetesClientException e) {
                // The elector renewed in between (409): read again.
                if (e.getCode() != 409 || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}

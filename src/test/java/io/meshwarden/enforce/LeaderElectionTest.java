package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.orchestrate.LeaderLease;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Two replicas against one API server: one Lease holder, and only the holder writes. */
class LeaderElectionTest {

    private static void cronJobs(MockCluster cluster) {
        for (String name : List.of("a", "b")) {
            cluster.apply(MockCluster.cronJob("apps", name));
        }
    }

    private static Plan plan() {
        return new Plan(List.of(change("a"), change("b")), List.of());
    }

    private static Change change(String name) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("spec").putObject("jobTemplate").putObject("spec").putObject("template")
                .putObject("metadata").putObject("labels").put("sidecar.istio.io/inject", "false");
        return new Change("CronJob/apps/" + name + "#1", new ResourceRef("batch/v1", "CronJob", "apps", name),
                Change.PATCH, body, false, List.of("jobs"), List.of("injection-job-sidecar"), "test");
    }

    private static RolloutRunner runner(KubernetesClient client, BooleanSupplier guard) {
        return new RolloutRunner(client, new Applier(client), RolloutConfig.DEFAULTS, Clock.systemUTC(),
                RolloutSleeper.SYSTEM, RolloutRateLimiter.UNLIMITED).guardedBy(guard);
    }

    private static long cronJobWrites(MockCluster cluster) {
        return cluster.dispatcher.writes().stream().filter(w -> w.contains("/cronjobs/")).count();
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

    private static LeaderLease lease(MockCluster cluster, String identity) {
        return new LeaderLease(cluster.server.createClient(), "meshwarden-system", "meshwarden-leader", identity,
                Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(100));
    }

    @Test
    void twoReplicasElectOneLeaderAndOnlyItWrites() throws Exception {
        try (MockCluster cluster = new MockCluster()) {
            cronJobs(cluster);
            LeaderLease one = lease(cluster, "replica-1");
            LeaderLease two = lease(cluster, "replica-2");
            one.start();
            two.start();
            try {
                await("a leader", () -> one.isLeader() || two.isLeader());
                Thread.sleep(500);
                assertTrue(one.isLeader() ^ two.isLeader(), "exactly one leader");
                LeaderLease leader = one.isLeader() ? one : two;
                LeaderLease follower = leader == one ? two : one;
                await("the follower to see the leader", () -> leader.identity().equals(follower.currentLeader()));

                RolloutResult fromFollower = runner(cluster.client, follower::isLeader).run(plan(), false);
                assertEquals(RolloutHaltReason.LEADERSHIP_LOST, fromFollower.halt().reason());
                assertEquals(0, cronJobWrites(cluster), "the follower writes nothing");
                assertEquals(2, fromFollower.deferred().size());

                RolloutResult fromLeader = runner(cluster.client, leader::isLeader).run(plan(), false);
                assertFalse(fromLeader.halted());
                assertEquals(2, fromLeader.applied().size());
                assertEquals(2, cronJobWrites(cluster));

                // The leader goes away: the lease is released and the other replica takes over.
                leader.stop();
                await("the follower to take over", follower::isLeader);
                assertNotEquals(leader.identity(), follower.currentLeader());
            } finally {
                one.stop();
                two.stop();
            }
        }
    }

    @Test
    void losingTheLeaseMidRunStopsWritingAtTheNextChange() {
        try (MockCluster cluster = new MockCluster()) {
            cronJobs(cluster);
            // The lease is lost as soon as the first patch has reached the API server.
            RolloutResult result = runner(cluster.client, () -> cronJobWrites(cluster) == 0).run(plan(), false);
            assertEquals(RolloutHaltReason.LEADERSHIP_LOST, result.halt().reason());
            assertEquals(List.of("CronJob/apps/a#1"), result.applied().stream().map(o -> o.change().id()).toList());
            assertEquals(List.of("CronJob/apps/b#1"), result.deferred().stream().map(o -> o.change().id()).toList());
            assertEquals(1, cronJobWrites(cluster));
            assertTrue(cluster.get("batch/v1", "CronJob", "apps", "b").at(
                    "/spec/jobTemplate/spec/template/metadata/labels/sidecar.istio.io~1inject").isMissingNode(),
                    "the change after the loss was not sent");
        }
    }

    /**
     * A process paused past the renew deadline (SIGSTOP, a long GC) resumes with the elector's flag still set: the
     * elector has not run since. The lease must count as lost from the clock alone, before any request returns, or
     * the resumed run writes while another replica holds the lease (LeaderFailoverFaultsE2E, the pause).
     */
    @Test
    void leadershipLapsesAtTheRenewDeadlineWhenRenewalsStop() throws Exception {
        try (MockCluster cluster = new MockCluster()) {
            AtomicLong clock = new AtomicLong(System.nanoTime());
            // Renewals every 10 s: none happens while the test plays the pause.
            LeaderLease lease = new LeaderLease(cluster.server.createClient(), "meshwarden-system",
                    "meshwarden-leader", "replica-1", Duration.ofSeconds(60), Duration.ofSeconds(30),
                    Duration.ofSeconds(10), clock::get);
            lease.start();
            try {
                await("the lease", lease::isLeader);
                clock.addAndGet(Duration.ofSeconds(29).toNanos());
                assertTrue(lease.isLeader(), "within the renew deadline");
                clock.addAndGet(Duration.ofSeconds(2).toNanos());
                assertFalse(lease.isLeader(), "31 s after the last renew began, with no renew since");
            } finally {
                lease.stop();
            }
        }
    }

    /**
     * fabric8's elector competes once. A replica that lost the lease (another took it while it was partitioned or
     * paused) must compete again, or once the new leader goes away nobody enforces.
     */
    @Test
    void aReplicaThatLostTheLeaseCompetesAgain() throws Exception {
        try (MockCluster cluster = new MockCluster()) {
            LeaderLease lease = lease(cluster, "replica-1");
            lease.start();
            try {
                await("the lease", lease::isLeader);
                // An intruder takes the lease and never renews it: it expires 2 s later.
                for (int attempt = 1; ; attempt++) {
                    Lease l = cluster.client.leases().inNamespace("meshwarden-system").withName("meshwarden-leader")
                            .get();
                    l.getSpec().setHolderIdentity("intruder");
                    l.getSpec().setRenewTime(ZonedDateTime.now());
                    try {
                        cluster.client.leases().inNamespace("meshwarden-system").resource(l).update();
                        break;
                    } catch (KubernetesClientException e) {
                        // Renewed in between (409): read again.
                        if (e.getCode() != 409 || attempt >= 10) {
                            throw e;
                        }
                    }
                }
                await("the lease lost", () -> !lease.isLeader());
                await("the lease won again", lease::isLeader);
                assertEquals("replica-1", cluster.client.leases().inNamespace("meshwarden-system")
                        .withName("meshwarden-leader").get().getSpec().getHolderIdentity());
            } finally {
                lease.stop();
            }
        }
    }
}

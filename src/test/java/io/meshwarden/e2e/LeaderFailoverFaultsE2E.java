package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 20, leader failover with two replicas: two packaged Meshwarden processes against one API server, each through
 * a {@link FaultProxy} of its own and as a service account of its own (so the API server's audit log tells their
 * writes apart), competing for the Lease {@code meshwarden-leader} in the test's namespace with short timings (lease
 * 6 s, renew deadline 4 s, retry 1 s). The leader runs 24 CronJob changes paced at 3 writes per second (a run is asked
 * for with POST /api/v1/runs; the follower refuses it with 409); after its 6th write it is killed ({@code kill -9}),
 * partitioned (its proxy blackholed, healed once the other took over) or paused ({@code SIGSTOP}, {@code SIGCONT} once
 * the other took over, long past its renew deadline).
 *
 * <p>The other replica must take the Lease within the lease timings and, asked again, apply exactly the rest; the
 * audit log must show no write of the old leader received after the other acquired the Lease, and each CronJob
 * written once across the two. A partitioned or paused replica must afterwards compete again: once the new leader is
 * killed it takes the Lease back.
 */
class LeaderFailoverFaultsE2E extends CronJobFaultsBase {
    static final int CRON_JOBS = 24;
    static final int FAULT_AFTER = 6;
    static final Duration LEASE = Duration.ofSeconds(6);
    static final Duration RENEW = Duration.ofSeconds(4);
    static final Duration RETRY = Duration.ofSeconds(1);
    /** Expiry plus fabric8's jittered retry (up to 2.2 retry periods), plus 3 s for a loaded machine. */
    static final Duration FAILOVER_BOUND = LEASE.plus(RETRY.multipliedBy(22).dividedBy(10)).plusSeconds(3);
    static final String SETUP_AGENT = "meshwarden-leader-e2e-setup";
    static final String LEASE_NAME = "meshwarden-leader";

    enum Fault { KILL, PARTITION, PAUSE }

    /** One replica: its proxy, its identity in the audit log, its process. */
    record Replica(String name, String user, FaultProxy proxy, PackagedMeshwarden app) {
    }

    final List<Replica> replicas = new ArrayList<>();

    LeaderFailoverFaultsE2E() {
        super("controlplane-faults-leader", SETUP_AGENT, "leader", CRON_JOBS);
    }

    @BeforeEach
    void startReplicas() throws IOException {
        for (String name : List.of("replica-a", "replica-b")) {
            replicas.add(replica(name));
        }
    }

    @AfterEach
    void stopReplicas() {
        for (Replica r : replicas) {
            if (r.app().alive()) {
                r.app().signal("CONT");
                r.app().kill();
            }
            r.proxy().close();
            client.genericKubernetesResources("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")
                    .withName(ns + "-" + r.name()).delete();
        }
        replicas.clear();
    }

    /** A service account bound to cluster-admin, its token in a kubeconfig that points at a proxy of its own. */
    Replica replica(String name) throws IOException {
        client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName(name)
                .endMetadata().build()).create();
        client.resource("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: " + ns
                + "-" + name + "}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole,"
                + " name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: " + name + ", namespace: " + ns
                + "}]\n").create();
        String token = client.serviceAccounts().inNamespace(ns).withName(name).tokenRequest(new TokenRequestBuilder()
                .withNewSpec().withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
        FaultProxy proxy = FaultProxy.to(cp.apiServerPort());
        Path kubeconfig = work.resolve(name + ".kubeconfig");
        Files.writeString(kubeconfig, cp.kubeconfig(proxy.port(), token));
        PackagedMeshwarden app = PackagedMeshwarden.start(name, work, kubeconfig, ns + "-istio", List.of(
                "-Dmeshwarden.leader-election.namespace=" + ns,
                "-Dmeshwarden.leader-election.lease-duration=" + LEASE,
                "-Dmeshwarden.leader-election.renew-deadline=" + RENEW,
                "-Dmeshwarden.leader-election.retry-period=" + RETRY,
                "-Dmeshwarden.rollout.writes-per-second=3"), Map.of("HOSTNAME", name));
        return new Replica(name, "system:serviceaccount:" + ns + ":" + name, proxy, app);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void theOtherReplicaTakesOverAndTheOldLeaderWritesNothingMore(Fault fault) {
        String holder = awaitHolder(null);
        Replica leader = replicas.stream().filter(r -> r.name().equals(holder)).findFirst().orElseThrow();
        Replica follower = replicas.get(replicas.get(0) == leader ? 1 : 0);
        HttpResponse<String> refused = follower.app().postRaw("/api/v1/runs");
        assertEquals(409, refused.statusCode(), refused::body);

        String firstId = leader.app().post("/api/v1/runs").path("id").asText();
        awaitWrites(leader, FAULT_AFTER);
        Instant faultAt = Instant.now();
        switch (fault) {
            case KILL -> leader.app().kill();
            case PARTITION -> leader.proxy().blackhole();
            case PAUSE -> leader.app().signal("STOP");
        }
        // The follower is asked until it accepts: 409 while the Lease is still the old leader's.
        JsonNode started = awaitAccepted(follower, Duration.ofSeconds(60));
        Instant acceptedAt = Instant.now();
        switch (fault) {
            case KILL -> { }
            case PARTITION -> leader.proxy().heal();
            case PAUSE -> leader.app().signal("CONT");
        }
        JsonNode second = follower.app().awaitRun(started.path("id").asText(), Duration.ofSeconds(120));
        assertEquals("applied", second.path("outcome").asText(), second::toString);
        String oldRun = "killed";
        if (fault != Fault.KILL) {
            JsonNode first = leader.app().awaitRun(firstId, Duration.ofSeconds(120));
            oldRun = first.path("outcome").asText() + " " + first.path("halt").path("reason").asText();
            assertTrue(oldRun.equals("halted LEADERSHIP_LOST") || oldRun.equals("incomplete API_UNAVAILABLE"),
                    "the old leader's run: " + first);
        }
        // A little longer, for a late write of the old leader to show.
        PackagedMeshwarden.sleep(3000);

        List<FaultControlPlane.Write> writes = cp.writes();
        Instant acquiredAt = writes.stream().filter(w -> w.user().equals(follower.user()) && w.succeeded()
                && "leases".equals(w.resource()) && Instant.parse(w.received()).isAfter(faultAt))
                .map(w -> Instant.parse(w.received())).findFirst()
                .orElseThrow(() -> new AssertionError("no Lease write of " + follower.name() + " after the fault"));
        List<FaultControlPlane.Write> oldLeaders = writes.stream().filter(w -> w.user().equals(leader.user())
                && Instant.parse(w.received()).isAfter(acquiredAt)).toList();
        // The one exception: the election's own renewal of the Lease, sent with the resourceVersion read before the
        // pause and refused by the API server (409). That refusal is the election's guard (a compare-and-swap on the
        // Lease), the replica cannot hold it back (fabric8's elector sends it), and it changes nothing.
        List<FaultControlPlane.Write> refusedRenewals = oldLeaders.stream().filter(w -> "leases".equals(w.resource())
                && LEASE_NAME.equals(w.name()) && w.code() == 409).toList();
        // And one request decided before the pause and sent after it: SIGSTOP can land between the guard asked
        // before a request and its send (the test stops the leader right after its 6th write was answered, when it
        // is recording that write's Event), and no check inside the process can close that window (client-go's
        // elector documents the same: no fencing). Allowed is only the MeshwardenApplied Event of an object the old
        // leader wrote before the fault, attributing a change that had landed; at most one.
        Set<String> writtenBeforeFault = writes.stream().filter(w -> w.user().equals(leader.user()) && w.succeeded()
                && "cronjobs".equals(w.resource()) && Instant.parse(w.received()).isBefore(faultAt))
                .map(FaultControlPlane.Write::name).collect(Collectors.toSet());
        List<FaultControlPlane.Write> lateEvents = oldLeaders.stream().filter(w -> "events".equals(w.resource())
                && "create".equals(w.verb()) && writtenBeforeFault.contains(w.name().substring(0,
                        Math.max(0, w.name().indexOf('.'))))).toList();
        assertTrue(lateEvents.size() <= 1, () -> "more than one Event sent after the Lease was lost: " + lateEvents);
        List<FaultControlPlane.Write> afterLoss = oldLeaders.stream().filter(w -> !refusedRenewals.contains(w)
                && !lateEvents.contains(w)).toList();
        assertEquals(List.of(), afterLoss, "writes of the old leader received after " + follower.name()
                + " acquired the Lease at " + acquiredAt + ", from the API server's audit log");
        Duration failover = Duration.between(faultAt, acquiredAt);
        assertTrue(failover.compareTo(FAILOVER_BOUND) <= 0, "failover took " + failover + ", bound " + FAILOVER_BOUND);

        // Exactly once across the two: one answered CronJob write per object, from either replica.
        Map<String, Long> perObject = new TreeMap<>(writes.stream().filter(w -> ns.equals(w.namespace())
                && w.succeeded() && "cronjobs".equals(w.resource()) && w.subresource() == null
                && (w.user().equals(leader.user()) || w.user().equals(follower.user())))
                .collect(Collectors.groupingBy(FaultControlPlane.Write::name, Collectors.counting())));
        Map<String, Long> once = new TreeMap<>();
        for (int i = 0; i < CRON_JOBS; i++) {
            once.put(String.format("job-%02d", i), 1L);
        }
        assertEquals(once, perObject, "answered CronJob writes per object across both replicas (audit log)");
        Set<String> byOld = writes.stream().filter(w -> w.user().equals(leader.user()) && w.succeeded()
                && "cronjobs".equals(w.resource())).map(FaultControlPlane.Write::name)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> rest = new TreeSet<>(once.keySet());
        rest.removeAll(byOld);
        assertEquals(rest, PackagedMeshwarden.applied(second), "the new leader applied exactly the rest");
        Map<String, Long> events = FaultWorkloads.appliedEvents(client, ns);
        assertTrue(events.values().stream().allMatch(n -> n == 1), () -> "at most one Event each: " + events);
        assertTrue(events.keySet().containsAll(rest), () -> "an Event for each of the new leader's: " + events);

        // The old leader, back, competes again: with the new leader gone it takes the Lease back.
        String retaken = "-";
        if (fault != Fault.KILL) {
            Instant goneAt = Instant.now();
            follower.app().kill();
            assertEquals(leader.name(), awaitHolder(follower.name()));
            retaken = String.format("%.1f s", Duration.between(goneAt, Instant.now()).toMillis() / 1000.0);
        }
        FaultWorkloads.figure(String.format("leader %s after write %d | old leader's run: %s | failover (fault to the"
                + " other's Lease write) %.1f s, to a run accepted %.1f s | changes checked %d, by the old leader %d,"
                + " by the new %d | writes of the old leader after the Lease was lost %d (and %d Lease renewals"
                + " refused with 409, %d Event of a change landed before the fault) | duplicates %d | Lease"
                + " retaken by the old leader after the new one was killed %s | proxy of the old leader: %s%n",
                fault.name().toLowerCase(java.util.Locale.ROOT), FAULT_AFTER, oldRun, failover.toMillis() / 1000.0,
                Duration.between(faultAt, acceptedAt).toMillis() / 1000.0, CRON_JOBS, byOld.size(), rest.size(),
                afterLoss.size(), refusedRenewals.size(), lateEvents.size(),
                perObject.values().stream().mapToLong(n -> n - 1).sum(), retaken,
                leader.proxy().figures()));
    }

    /** The Lease's holder once it is someone other than {@code not}. */
    String awaitHolder(String not) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Lease lease = client.leases().inNamespace(ns).withName(LEASE_NAME).get();
            String holder = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
            if (holder != null && !holder.isEmpty() && !holder.equals(not)) {
                return holder;
            }
            if (System.nanoTime() > deadline) {
                fail("no Lease holder other than " + not + " within 60 s: " + lease);
            }
            PackagedMeshwarden.sleep(100);
        }
    }

    JsonNode awaitAccepted(Replica r, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            HttpResponse<String> response = r.app().postRaw("/api/v1/runs");
            if (response.statusCode() / 100 == 2) {
                try {
                    return PackagedMeshwarden.JSON.readTree(response.body());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (response.statusCode() != 409) {
                fail("POST /api/v1/runs to " + r.name() + ": " + response.statusCode() + " " + response.body());
            }
            if (System.nanoTime() > deadline) {
                fail(r.name() + " did not accept a run within " + timeout.toSeconds() + " s: " + response.body());
            }
            PackagedMeshwarden.sleep(100);
        }
    }

    void awaitWrites(Replica r, int k) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (cp.writes().stream().filter(w -> w.user().equals(r.user()) && w.succeeded()
                && "cronjobs".equals(w.resource())).count() < k) {
            if (System.nanoTime() > deadline) {
                fail("no write " + k + " of " + r.name() + " within 90 s; see " + r.app().log());
            }
            PackagedMeshwarden.sleep(50);
        }
    }
}

package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One replica's part in electing the enforcer, through a coordination.k8s.io Lease and fabric8's leader elector.
 * Every replica serves reads; only the holder of the lease enforces.
 */
public final class LeaderLease {
    private final LeaderElector elector;
    private final String identity;
    private final ExecutorService executor;
    private volatile boolean leader;
    private volatile String currentLeader;
    private CompletableFuture<?> running;

    public LeaderLease(KubernetesClient client, String namespace, String name, String identity, Duration leaseDuration,
            Duration renewDeadline, Duration retryPeriod) {
        this.identity = identity;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meshwarden-leader-election");
            t.setDaemon(true);
            return t;
        });
        this.elector = new LeaderElectorBuilder(client, executor).withConfig(new LeaderElectionConfigBuilder()
                .withName(name).withLock(new LeaseLock(namespace, name, identity))
                .withLeaseDuration(leaseDuration).withRenewDeadline(renewDeadline).withRetryPeriod(retryPeriod)
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> leader = true, () -> leader = false,
                        l -> currentLeader = l))
                .build()).build();
    }

    public synchronized void start() {
        if (running == null) {
            running = elector.start();
        }
    }

    /** Gives the lease up (another replica may take it at once) and stops competing. */
    public synchronized void stop() {
        leader = false;
        if (running != null) {
            running.cancel(true);
            running = null;
        }
        executor.shutdownNow();
    }

    public boolean isLeader() {
        return leader;
    }

    public String identity() {
        return identity;
    }

    /** Who holds the lease as last observed; null before the first observation. */
    public String currentLeader() {
        return currentLeader;
    }
}

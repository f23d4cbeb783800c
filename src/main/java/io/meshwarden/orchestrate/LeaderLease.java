package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One replica's part in electing the enforcer, through a coordination.k8s.io Lease and fabric8's leader elector.
 * Every replica serves reads; only the holder of the lease enforces.
 *
 * <p>Leadership is bounded in time here, not only by the elector's callbacks: {@link #isLeader()} is true only within
 * {@code renewDeadline} of the start of the last successful acquire or renew. The elector learns of a lost lease only
 * when its next renew attempt returns, which a paused process (SIGSTOP, a long GC) or a request hanging on a
 * partitioned network delays past the lease's expiry, while another replica may already hold it; the callback alone
 * then lets writes through. The margin {@code leaseDuration - renewDeadline} covers the time between asking and a
 * write's arrival.
 *
 * <p>fabric8's elector competes once: after losing the lease it stops for good. A replica that lost it (a partition
 * that healed, a pause) therefore starts a new elector, so that it can take over again when the other goes away.
 */
public final class LeaderLease {
    private final KubernetesClient client;
    private final String identity;
    private final ExecutorService executor;
    private final LeaderElectionConfig config;
    private final long renewDeadlineNanos;
    private final Duration retryPeriod;
    private final LongSupplier nanoTime;
    private volatile boolean leader;
    private volatile String currentLeader;
    /** {@link #nanoTime} at the start of the last acquire or renew that wrote us as the holder; valid if renewed. */
    private volatile long renewedAt;
    private volatile boolean renewed;
    private boolean stopped;
    private CompletableFuture<?> running;

    public LeaderLease(KubernetesClient client, String namespace, String name, String identity, Duration leaseDuration,
            Duration renewDeadline, Duration retryPeriod) {
        this(client, namespace, name, identity, leaseDuration, renewDeadline, retryPeriod, System::nanoTime);
    }

    /** @param nanoTime a monotonic clock (a test's, to play a pause) */
    public LeaderLease(KubernetesClient client, String namespace, String name, String identity, Duration leaseDuration,
            Duration renewDeadline, Duration retryPeriod, LongSupplier nanoTime) {
        if (renewDeadline.compareTo(leaseDuration) >= 0) {
            throw new IllegalArgumentException("meshwarden.leader-election.renew-deadline (" + renewDeadline
                    + ") must be shorter than lease-duration (" + leaseDuration + ")");
        }
        this.client = client;
        this.identity = identity;
        this.renewDeadlineNanos = renewDeadline.toNanos();
        this.retryPeriod = retryPeriod;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meshwarden-leader-election");
            t.setDaemon(true);
            return t;
        });
        this.config = new LeaderElectionConfigBuilder().withName(name)
                .withLock(new TimedLock(new LeaseLock(namespace, name, identity)))
                .withLeaseDuration(leaseDuration).withRenewDeadline(renewDeadline).withRetryPeriod(retryPeriod)
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> leader = true, () -> leader = false,
                        l -> currentLeader = l))
                .build();
    }

    public synchronized void start() {
        if (running == null && !stopped) {
            compete();
        }
    }

    private synchronized void compete() {
        if (stopped) {
            return;
        }
        CompletableFuture<?> round = new LeaderElectorBuilder(client, executor).withConfig(config).build().start();
        running = round;
        round.whenComplete((v, e) -> {
            leader = false;
            // Lost (or never won, after an error): compete again with a new elector, unless stopped.
            synchronized (this) {
                if (!stopped && running == round) {
                    CompletableFuture.delayedExecutor(retryPeriod.toMillis(), TimeUnit.MILLISECONDS, executor)
                            .execute(this::compete);
                }
            }
        });
    }

    /** Gives the lease up (another replica may take it at once) and stops competing. */
    public synchronized void stop() {
        stopped = true;
        leader = false;
        if (running != null) {
            running.cancel(true);
            running = null;
        }
        executor.shutdownNow();
    }

    /** The elector says so, and its last successful renew began less than the renew deadline ago. */
    public boolean isLeader() {
        return leader && renewed && nanoTime.getAsLong() - renewedAt < renewDeadlineNanos;
    }

    public String identity() {
        return identity;
    }

    /** Who holds the lease as last observed; null before the first observation. */
    public String currentLeader() {
        return currentLeader;
    }

    /**
     * The Lease lock, noting when an acquire or renew began: the elector reads the lock, then writes it with itself
     * as the holder and a renew time taken before the read, so the read's start bounds when the lease was renewed.
     */
    private final class TimedLock implements Lock {
        private final Lock lock;
        private volatile long attemptAt;

        TimedLock(Lock lock) {
            this.lock = lock;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient client) {
            attemptAt = nanoTime.getAsLong();
            return lock.get(client);
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {
            long at = attemptAt;
            lock.create(client, record);
            written(record, at);
        }

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {
            long at = attemptAt;
            lock.update(client, record);
            written(record, at);
        }

        private void written(LeaderElectionRecord record, long at) {
            if (identity.equals(record.getHolderIdentity())) {
                renewedAt = at;
                renewed = true;
            }
        }

        @Override
        public String identity() {
            return lock.identity();
        }

        @Override
        public String describe() {
            return lock.describe();
        }
    }
}

package io.meshwarden.enforce;

import io.meshwarden.MeshwardenConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The change budget of {@link RolloutRunner}.
 *
 * @param maxConcurrent             workloads restarting at once, cluster-wide
 * @param maxConcurrentPerNamespace workloads restarting at once in one namespace
 * @param deadline                  how long one workload may take to roll out before the rollout halts
 * @param pollInterval              time between status reads while waiting
 * @param hpaSurgePercent           halt when an HPA raises desiredReplicas by more than this, relative to before
 * @param crashLoopRestarts         halt when a container restarted this many times since the change
 * @param writesPerSecond           pace of all writes; 0 or less for none
 */
public record RolloutConfig(int maxConcurrent, int maxConcurrentPerNamespace, Duration deadline,
        Duration pollInterval, int hpaSurgePercent, int crashLoopRestarts, double writesPerSecond) {
    /** The configuration mapping's defaults, from the one place they are written. */
    public static final RolloutConfig DEFAULTS = new RolloutConfig(
            Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_MAX_CONCURRENT),
            Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_MAX_CONCURRENT),
            Duration.parse(MeshwardenConfig.Rollout.DEFAULT_DEADLINE),
            Duration.parse(MeshwardenConfig.Rollout.DEFAULT_POLL_INTERVAL),
            Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_HPA_SURGE_PERCENT),
            Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_CRASH_LOOP_RESTARTS),
            Double.parseDouble(MeshwardenConfig.Rollout.DEFAULT_WRITES_PER_SECOND));

    public RolloutConfig {
        if (maxConcurrent < 1 || maxConcurrentPerNamespace < 1) {
            throw new IllegalArgumentException("maxConcurrent and maxConcurrentPerNamespace must be at least 1");
        }
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (deadline.isNegative() || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("deadline must not be negative, pollInterval must be positive");
        }
        if (hpaSurgePercent < 0 || crashLoopRestarts < 1) {
            throw new IllegalArgumentException("hpaSurgePercent must be >= 0 and crashLoopRestarts >= 1");
        }
    }

    /** Sets both the cluster-wide and the per-namespace limit. */
    public RolloutConfig withMaxConcurrent(int n) {
        return new RolloutConfig(n, n, deadline, pollInterval, hpaSurgePercent, crashLoopRestarts, writesPerSecond);
    }

    public RolloutConfig withMaxConcurrent(int clusterWide, int perNamespace) {
        return new RolloutConfig(clusterWide, perNamespace, deadline, pollInterval, hpaSurgePercent,
                crashLoopRestarts, writesPerSecond);
    }

    public RolloutConfig withDeadline(Duration d) {
        return new RolloutConfig(maxConcurrent, maxConcurrentPerNamespace, d, pollInterval, hpaSurgePercent,
                crashLoopRestarts, writesPerSecond);
    }

    public RolloutConfig withPollInterval(Duration d) {
        return new RolloutConfig(maxConcurrent, maxConcurrentPerNamespace, deadline, d, hpaSurgePercent,
                crashLoopRestarts, writesPerSecond);
    }

    public RolloutConfig withHpaSurgePercent(int p) {
        return new RolloutConfig(maxConcurrent, maxConcurrentPerNamespace, deadline, pollInterval, p,
                crashLoopRestarts, writesPerSecond);
    }

    public RolloutConfig withCrashLoopRestarts(int n) {
        return new RolloutConfig(maxConcurrent, maxConcurrentPerNamespace, deadline, pollInterval, hpaSurgePercent,
                n, writesPerSecond);
    }

    public RolloutConfig withWritesPerSecond(double w) {
        return new RolloutConfig(maxConcurrent, maxConcurrentPerNamespace, deadline, pollInterval, hpaSurgePercent,
                crashLoopRestarts, w);
    }
}

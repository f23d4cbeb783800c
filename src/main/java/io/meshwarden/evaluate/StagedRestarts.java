package io.meshwarden.evaluate;

/**
 * The parameters of a policy whose {@link Remedy#ROLLOUT_RESTART} remedies the onboarding run stages: restarted in
 * batches, the sidecar sized first. A type's parameters record implements it (its accessors are these methods), so
 * the run reads them without naming the type.
 */
public interface StagedRestarts {
    /** Workloads restarted at once. */
    int batchSize();

    /** Wait after a batch rolled out and passed its checks, before the next one. */
    int pauseSeconds();

    /** Fold the sidecar sizing of the policies that cover a workload ({@link PolicyKind#presize}) into its restart. */
    boolean presizeProxies();

    /** When the run stops for a human: in place of the rollout budget's own halt settings. */
    Halts halts();

    /**
     * @param hpaSurgePercent     the workload's HPA raises its desired replicas by more than this during a restart
     * @param crashLoopRestarts   a container of the new pods restarted this many times
     * @param deadlineSeconds     a restart has not rolled out after this long
     * @param proxyCpuOverRequest the new proxies use more than this factor of their CPU request (where the metrics
     *                            API serves pod metrics)
     */
    record Halts(int hpaSurgePercent, int crashLoopRestarts, int deadlineSeconds,
            java.math.BigDecimal proxyCpuOverRequest) {
    }
}

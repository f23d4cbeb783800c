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
}

package io.meshwarden.enforce;

/** Why a rollout stopped before all pod-restarting changes were applied (a metrics label). */
public enum RolloutHaltReason {
    /** A workload did not finish rolling out within the deadline, or Kubernetes reported ProgressDeadlineExceeded. */
    DEADLINE_EXCEEDED,
    /** Pods of the restarted workload crash-loop or keep restarting. */
    CRASH_LOOP,
    /** The HPA of the restarted workload scaled it up sharply: the runaway of the seed incident. */
    HPA_SURGE,
    /** The workload disappeared while its rollout was watched. */
    WORKLOAD_GONE,
    /** The enforcing thread was interrupted (shutdown). */
    INTERRUPTED,
    /** This replica lost the leader lease: another replica may be enforcing now, so it writes nothing more. */
    LEADERSHIP_LOST,
    /** The API server kept failing (5xx, 429, timeouts, dropped connections) after the retries. */
    API_UNAVAILABLE,
    /** Onboarding: pods of a restarted workload do not carry the sidecar injection gives them now (or still do). */
    SIDECAR_MISMATCH,
    /** Onboarding: the new proxies use more CPU than their request times the policy's factor. */
    PROXY_CPU
}

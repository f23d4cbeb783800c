package io.meshwarden.enforce;

import java.util.Objects;

/**
 * What the rollout did with one change.
 *
 * @param apply  the applier's outcome; null when nothing was attempted (deferred, or the state before the change
 *               could not be read)
 * @param detail for a deferred change the reason; for an applied pod-restarting change how its rollout went;
 *               otherwise the applier's detail
 */
public record RolloutOutcome(Change change, Status status, ApplyResult.Outcome apply, String detail) {
    public enum Status {
        APPLIED, WOULD_APPLY, UNCHANGED, SKIPPED, FAILED,
        /** Not attempted because the rollout halted first. */
        DEFERRED
    }

    public RolloutOutcome {
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(status, "status");
    }

    public static RolloutOutcome of(ApplyResult.Outcome o, String detail) {
        return new RolloutOutcome(o.change(), Status.valueOf(o.status().name()), o, detail);
    }

    public static RolloutOutcome of(ApplyResult.Outcome o) {
        return of(o, o.detail());
    }

    RolloutOutcome withDetail(String d) {
        return new RolloutOutcome(change, status, apply, d);
    }
}

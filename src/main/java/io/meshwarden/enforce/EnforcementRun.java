package io.meshwarden.enforce;

import java.time.Instant;
import java.util.List;

/**
 * One enforcement run: the plan it built (readable before anything is applied: a dry run stops there), what it
 * did with each change, and what a revert did.
 *
 * @param outcome planned (dry run), nothing-to-do, applied, partial (some changes failed), failed (could not
 *                plan or apply), reverted
 */
public record EnforcementRun(String id, String trigger, boolean dryRun, Instant startedAt, Instant finishedAt,
        String outcome, Plan plan, ApplyResult result, List<String> notes, List<Reverter.Step> reverted,
        String error) {
    public EnforcementRun {
        notes = notes == null ? List.of() : List.copyOf(notes);
        reverted = reverted == null ? List.of() : List.copyOf(reverted);
    }

    public EnforcementRun withRevert(List<Reverter.Step> steps) {
        return new EnforcementRun(id, trigger, dryRun, startedAt, finishedAt, "reverted", plan, result, notes, steps,
                error);
    }

    /** Counts for lists and metrics. */
    public record Summary(String id, String trigger, boolean dryRun, Instant startedAt, Instant finishedAt,
            String outcome, int changes, int applied, int unchanged, int skipped, int failed, String error) {
    }

    public Summary summary() {
        int changes = plan == null ? 0 : plan.changes().size();
        int skippedInPlan = plan == null ? 0 : plan.skipped().size();
        if (result == null) {
            return new Summary(id, trigger, dryRun, startedAt, finishedAt, outcome, changes, 0, 0, skippedInPlan, 0,
                    error);
        }
        return new Summary(id, trigger, dryRun, startedAt, finishedAt, outcome, changes,
                result.applied().size() + result.withStatus(ApplyResult.Status.WOULD_APPLY).size(),
                result.unchanged().size(), skippedInPlan + result.skipped().size(), result.failed().size(), error);
    }
}

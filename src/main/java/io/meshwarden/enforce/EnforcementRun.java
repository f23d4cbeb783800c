package io.meshwarden.enforce;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One enforcement run: the plan it built (readable before anything is applied: a dry run stops there), what
 * happened to each change, the halt that stopped the rollout if any, and what a revert did.
 *
 * @param startedBy the user who started the run (system:meshwarden:scheduler for scheduled runs)
 * @param outcome running, planned (dry run), nothing-to-do, applied, partial (some changes failed), halted (the
 *                rollout stopped; the remaining changes are deferred), incomplete (the API server kept failing
 *                past the retries: the changes before the halt are applied, the rest deferred until the next
 *                run), failed (could not plan), reverted
 */
public record EnforcementRun(String id, String trigger, String startedBy, boolean dryRun, Instant startedAt,
        Instant finishedAt, String outcome, Plan plan, List<RolloutOutcome> outcomes, RolloutHalt halt,
        List<String> notes, List<Reverter.Step> reverted, String error) {
    public EnforcementRun {
        outcomes = outcomes == null ? List.of() : List.copyOf(outcomes);
        notes = notes == null ? List.of() : List.copyOf(notes);
        reverted = reverted == null ? List.of() : List.copyOf(reverted);
    }

    public EnforcementRun withRevert(List<Reverter.Step> steps) {
        return new EnforcementRun(id, trigger, startedBy, dryRun, startedAt, finishedAt, "reverted", plan, outcomes,
                halt, notes, steps, error);
    }

    /** What the Applier did, for reverting: deferred changes were never sent. */
    public ApplyResult applyResult() {
        return new ApplyResult(dryRun, outcomes.stream().map(RolloutOutcome::apply).filter(Objects::nonNull)
                .toList());
    }

    /** Counts for lists and metrics. */
    public record Summary(String id, String trigger, String startedBy, boolean dryRun, Instant startedAt,
            Instant finishedAt, String outcome, int changes, int applied, int unchanged, int skipped, int failed,
            int deferred, String halt, String error) {
    }

    public Summary summary() {
        return new Summary(id, trigger, startedBy, dryRun, startedAt, finishedAt, outcome,
                plan == null ? 0 : plan.changes().size(),
                count(RolloutOutcome.Status.APPLIED) + count(RolloutOutcome.Status.WOULD_APPLY),
                count(RolloutOutcome.Status.UNCHANGED),
                (plan == null ? 0 : plan.skipped().size()) + count(RolloutOutcome.Status.SKIPPED),
                count(RolloutOutcome.Status.FAILED), count(RolloutOutcome.Status.DEFERRED),
                halt == null ? null : halt.describe(), error);
    }

    private int count(RolloutOutcome.Status status) {
        return (int) outcomes.stream().filter(o -> o.status() == status).count();
    }
}

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
 *                run), failed (could not plan), reverting (a revert restarting workloads is rolling out),
 *                reverted, revert-incomplete (the revert's rollout halted or an object failed: see {@code revert})
 * @param revert    null until the run is reverted: who, when, how it went and the holds it placed
 */
public record EnforcementRun(String id, String trigger, String startedBy, boolean dryRun, Instant startedAt,
        Instant finishedAt, String outcome, Plan plan, List<RolloutOutcome> outcomes, RolloutHalt halt,
        List<String> notes, List<Reverter.Step> reverted, String error, Revert revert) {
    public EnforcementRun {
        outcomes = outcomes == null ? List.of() : List.copyOf(outcomes);
        notes = notes == null ? List.of() : List.copyOf(notes);
        reverted = reverted == null ? List.of() : List.copyOf(reverted);
    }

    public EnforcementRun(String id, String trigger, String startedBy, boolean dryRun, Instant startedAt,
            Instant finishedAt, String outcome, Plan plan, List<RolloutOutcome> outcomes, RolloutHalt halt,
            List<String> notes, List<Reverter.Step> reverted, String error) {
        this(id, trigger, startedBy, dryRun, startedAt, finishedAt, outcome, plan, outcomes, halt, notes, reverted,
                error, null);
    }

    /**
     * A run's revert.
     *
     * @param halt     the revert's rollout halt, null when none
     * @param holds    the holds the revert placed: the run's policies leave these objects alone until released or
     *                 changed
     * @param released when {@code POST /api/v1/runs/{id}/release} lifted the holds, null while they stand
     */
    public record Revert(String by, Instant startedAt, Instant finishedAt, RolloutHalt halt, List<Hold> holds,
            Instant released, String releasedBy) {
        public Revert {
            holds = holds == null ? List.of() : List.copyOf(holds);
        }

        public Revert releasedBy(String who, Instant at) {
            return new Revert(by, startedAt, finishedAt, halt, holds, at, who);
        }
    }

    public EnforcementRun withRevert(String newOutcome, List<Reverter.Step> steps, Revert newRevert) {
        return new EnforcementRun(id, trigger, startedBy, dryRun, startedAt, finishedAt, newOutcome, plan, outcomes,
                halt, notes, steps, error, newRevert);
    }

    /** What the Applier did, for reverting: deferred changes were never sent. */
    public ApplyResult applyResult() {
        return new ApplyResult(dryRun, outcomes.stream().map(RolloutOutcome::apply).filter(Objects::nonNull)
                .toList());
    }

    /**
     * Counts for lists and metrics.
     *
     * @param applied written to the cluster (always 0 for a dry run)
     * @param planned a dry run's changes that would be written (WOULD_APPLY); 0 for an enforcing run
     */
    public record Summary(String id, String trigger, String startedBy, boolean dryRun, Instant startedAt,
            Instant finishedAt, String outcome, int changes, int applied, int planned, int unchanged, int skipped,
            int failed, int deferred, String halt, String error) {
    }

    public Summary summary() {
        return new Summary(id, trigger, startedBy, dryRun, startedAt, finishedAt, outcome,
                plan == null ? 0 : plan.changes().size(),
                count(RolloutOutcome.Status.APPLIED), count(RolloutOutcome.Status.WOULD_APPLY),
                count(RolloutOutcome.Status.UNCHANGED),
                (plan == null ? 0 : plan.skipped().size()) + count(RolloutOutcome.Status.SKIPPED),
                count(RolloutOutcome.Status.FAILED), count(RolloutOutcome.Status.DEFERRED),
                halt == null ? null : halt.describe(), error);
    }

    private int count(RolloutOutcome.Status status) {
        return (int) outcomes.stream().filter(o -> o.status() == status).count();
    }
}

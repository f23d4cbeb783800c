package io.meshwarden.enforce;

import io.meshwarden.enforce.ApplyResult.Outcome;
import java.util.List;
import java.util.Objects;

/**
 * {@link Applier#apply} stopped before the end of its plan: this replica lost the leadership, or the API server kept
 * failing past the retry bounds. Nothing after {@link #change()} was attempted; the next run plans from the cluster
 * again and so picks up what is left.
 */
public final class ApplyStopped extends RuntimeException {
    public enum Reason {
        /** The guard said no right before a write; no write was sent after that. */
        LEADERSHIP_LOST,
        /** Requests still failed transiently after the retries. */
        API_UNAVAILABLE
    }

    private final Reason reason;
    private final Change change;
    private final transient Outcome outcome;
    private final transient List<Outcome> earlier;

    ApplyStopped(Reason reason, Change change, Outcome outcome, String message) {
        this(reason, change, outcome, List.of(), message);
    }

    private ApplyStopped(Reason reason, Change change, Outcome outcome, List<Outcome> earlier, String message) {
        super(message, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.change = Objects.requireNonNull(change, "change");
        this.outcome = outcome;
        this.earlier = List.copyOf(earlier);
    }

    ApplyStopped after(List<Outcome> before) {
        return new ApplyStopped(reason, change, outcome, before, getMessage());
    }

    public Reason reason() {
        return reason;
    }

    /** The change being applied when it stopped. */
    public Change change() {
        return change;
    }

    /** What happened to {@link #change()}; null when none of its writes was sent. */
    public Outcome outcome() {
        return outcome;
    }

    /** Outcomes of the plan's changes before {@link #change()}, in plan order. */
    public List<Outcome> earlier() {
        return earlier;
    }
}

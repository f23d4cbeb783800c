package io.meshwarden.enforce;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link RolloutRunner#run} did with each change of a plan, in plan order.
 *
 * @param halt null when every change was attempted
 */
public record RolloutResult(boolean dryRun, List<RolloutOutcome> outcomes, RolloutHalt halt) {
    public RolloutResult {
        outcomes = List.copyOf(outcomes);
    }

    public boolean halted() {
        return halt != null;
    }

    /** Halts by reason, every reason present (zero or one per run), for a counter labelled by reason. */
    public Map<RolloutHaltReason, Integer> haltsByReason() {
        Map<RolloutHaltReason, Integer> m = new EnumMap<>(RolloutHaltReason.class);
        for (RolloutHaltReason r : RolloutHaltReason.values()) {
            m.put(r, halt != null && halt.reason() == r ? 1 : 0);
        }
        return Collections.unmodifiableMap(m);
    }

    public List<RolloutOutcome> withStatus(RolloutOutcome.Status status) {
        List<RolloutOutcome> out = new ArrayList<>();
        for (RolloutOutcome o : outcomes) {
            if (o.status() == status) {
                out.add(o);
            }
        }
        return List.copyOf(out);
    }

    public List<RolloutOutcome> applied() {
        return withStatus(RolloutOutcome.Status.APPLIED);
    }

    public List<RolloutOutcome> deferred() {
        return withStatus(RolloutOutcome.Status.DEFERRED);
    }

    /** The outcome of the change with this id; throws when the plan had no such change. */
    public RolloutOutcome of(String changeId) {
        for (RolloutOutcome o : outcomes) {
            if (o.change().id().equals(changeId)) {
                return o;
            }
        }
        throw new IllegalArgumentException("no change " + changeId);
    }
}

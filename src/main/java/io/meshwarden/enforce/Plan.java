package io.meshwarden.enforce;

import java.util.List;

/**
 * What enforcement would write, in the order to write it: changes that restart nothing first, then those that
 * restart pods.
 */
public record Plan(List<Change> changes, List<Skipped> skipped) {
    public Plan {
        changes = List.copyOf(changes);
        skipped = List.copyOf(skipped);
    }

    public boolean isEmpty() {
        return changes.isEmpty() && skipped.isEmpty();
    }
}

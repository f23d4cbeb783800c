package io.meshwarden.evaluate;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts over one evaluation.
 *
 * <p>A check is one rule applied to one object in scope (exempt and out-of-target objects are not checks); each
 * finding is exactly one failed check. {@code score = floor(1000 * passed / evaluated) / 10}, a percentage with one
 * decimal that is rounded down so that 100 means nothing failed; 100 when nothing was evaluated.
 *
 * @param byType findings per policy type name
 * @param byRule findings per rule id
 */
public record Summary(int findings, Map<String, Integer> byType, Map<String, Integer> byRule, int evaluated,
        int passed, double score) {
    public Summary {
        byType = java.util.Collections.unmodifiableMap(new TreeMap<>(byType));
        byRule = java.util.Collections.unmodifiableMap(new TreeMap<>(byRule));
    }

    static double score(int evaluated, int passed) {
        return evaluated == 0 ? 100.0 : Math.floor(1000.0 * passed / evaluated) / 10.0;
    }
}

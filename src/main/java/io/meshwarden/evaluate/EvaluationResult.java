package io.meshwarden.evaluate;

import java.util.List;

/**
 * Findings in report order ({@link Finding#ORDER}), the sidecar cost picture, counts, and the notes on what could
 * not be checked ({@link Note#ORDER}).
 */
public record EvaluationResult(List<Finding> findings, CostSummary cost, Summary summary, List<Note> notes) {
    public EvaluationResult {
        findings = List.copyOf(findings);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    public EvaluationResult(List<Finding> findings, CostSummary cost, Summary summary) {
        this(findings, cost, summary, List.of());
    }
}

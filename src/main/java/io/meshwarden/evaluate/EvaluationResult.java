package io.meshwarden.evaluate;

import java.util.List;

/** Findings in report order ({@link Finding#ORDER}), the sidecar cost picture and counts. */
public record EvaluationResult(List<Finding> findings, CostSummary cost, Summary summary) {
    public EvaluationResult {
        findings = List.copyOf(findings);
    }
}

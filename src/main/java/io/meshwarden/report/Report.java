package io.meshwarden.report;

import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import java.time.Instant;
import java.util.List;

/**
 * One audit: when, against what (a live cluster or a manifest directory), how many policies, and the result.
 * notes carry what the reader skipped (e.g. an Istio API that is not installed) so a clean report is not mistaken
 * for a complete one.
 */
public record Report(Instant generatedAt, String source, int policies, EvaluationResult result, List<String> notes) {
    public Report {
        notes = List.copyOf(notes);
    }

    public List<Finding> findingsOf(String policy) {
        return result.findings().stream().filter(f -> f.policy().equals(policy)).toList();
    }
}

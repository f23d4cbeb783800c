package io.meshwarden.evaluate;

import java.util.List;

/** What one rule produced for one policy: its findings and how many checks it made (passed or failed). */
public record RuleOutcome(List<Finding> findings, int checks) {
    public RuleOutcome {
        findings = List.copyOf(findings);
    }
}

package io.meshwarden.policy;

import java.util.List;

/**
 * A document that parsed but is not a valid policy; carries the violations found (up to the reader's cap) and how
 * many more there were, so that a document of thousands of bad items costs a bounded answer.
 */
public class PolicyValidationException extends RuntimeException {
    private final List<Violation> violations;
    private final int omitted;

    public PolicyValidationException(List<Violation> violations) {
        this(violations, 0);
    }

    public PolicyValidationException(List<Violation> violations, int omitted) {
        super(summary(violations, omitted));
        this.violations = List.copyOf(violations);
        this.omitted = omitted;
    }

    public List<Violation> violations() {
        return violations;
    }

    /** Violations found past the cap and left out of {@link #violations()}. */
    public int omitted() {
        return omitted;
    }

    /** Every violation found, listed or not. */
    public int total() {
        return violations.size() + omitted;
    }

    private static String summary(List<Violation> violations, int omitted) {
        StringBuilder sb = new StringBuilder((violations.size() + omitted) + " violation(s): ");
        for (int i = 0; i < violations.size(); i++) {
            if (i > 0) {
                sb.append("; ");
            }
            sb.append(violations.get(i).field()).append(": ").append(violations.get(i).reason());
        }
        if (omitted > 0) {
            sb.append("; and ").append(omitted).append(" more not listed");
        }
        return sb.toString();
    }
}

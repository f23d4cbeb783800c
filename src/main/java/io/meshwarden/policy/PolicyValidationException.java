package io.meshwarden.policy;

import java.util.List;

/** A document that parsed but is not a valid policy; carries every violation found, not just the first. */
public class PolicyValidationException extends RuntimeException {
    private final List<Violation> violations;

    public PolicyValidationException(List<Violation> violations) {
        super(summary(violations));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }

    private static String summary(List<Violation> violations) {
        StringBuilder sb = new StringBuilder(violations.size() + " violation(s): ");
        for (int i = 0; i < violations.size(); i++) {
            if (i > 0) {
                sb.append("; ");
            }
            sb.append(violations.get(i).field()).append(": ").append(violations.get(i).reason());
        }
        return sb.toString();
    }
}

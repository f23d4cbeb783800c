package io.meshwarden.evaluate;

import java.util.regex.Pattern;

/**
 * A rule's stable id: it appears in reports, metrics, PolicyReports and suppressions, so never rename one. Each has
 * its page at {@code docs/rules/<id>.md}.
 *
 * @param id      kebab-case, named for what it checks and where it reads it
 * @param summary one line for the rule index and SARIF-like outputs
 */
public record RuleId(String id, String summary) {
    private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    public RuleId {
        if (!KEBAB.matcher(id).matches()) {
            throw new IllegalArgumentException("rule id must be kebab-case: " + id);
        }
    }

    public String docsPath() {
        return "docs/rules/" + id + ".md";
    }

    @Override
    public String toString() {
        return id;
    }
}

package io.meshwarden.policy;

import java.util.regex.Pattern;

/** Kubernetes naming rules (DNS-1123 and label syntax) shared by policies and selectors. */
public final class Names {
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    /**
     * The label syntax above as anchored JSON-schema patterns for the OpenAPI document; the lengths are bounded in
     * the pattern (a name or value of at most 63 characters) since a map key has no maxLength of its own.
     * They are a subset (a prefix of at most three DNS labels): {@code NamesTest} checks that what they admit the checks
     * accept.
     */
    public static final String LABEL_KEY_PATTERN = "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}"
            + "[a-z0-9])?){0,2}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
    public static final String LABEL_VALUE_PATTERN = "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$";

    private Names() {
    }

    /** Returns null when valid, else the reason. */
    public static String checkSubdomain(String s) {
        if (s.isEmpty()) {
            return "must not be empty";
        }
        if (s.length() > 253) {
            return "must be at most 253 characters";
        }
        if (!DNS1123_SUBDOMAIN.matcher(s).matches()) {
            return "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                    + "starting and ending with a letter or digit";
        }
        return null;
    }

    public static String checkLabel(String s) {
        if (s.isEmpty()) {
            return "must not be empty";
        }
        if (s.length() > 63) {
            return "must be at most 63 characters";
        }
        if (!DNS1123_LABEL.matcher(s).matches()) {
            return "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a "
                    + "letter or digit";
        }
        return null;
    }

    /** Label key: optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
    public static String checkLabelKey(String key) {
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            String prefixProblem = checkSubdomain(prefix);
            if (prefixProblem != null) {
                return "label key prefix " + prefixProblem;
            }
        }
        if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
            return "must be a valid label key: at most 63 of [A-Za-z0-9-_.], starting and ending with a letter or "
                    + "digit, with an optional DNS subdomain prefix and '/'";
        }
        return null;
    }

    public static String checkLabelValue(String value) {
        if (value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
            return "must be a valid label value: at most 63 of [A-Za-z0-9-_.], starting and ending with a letter or "
                    + "digit";
        }
        return null;
    }
}

package io.meshwarden.policy;

/** Ordered: a threshold of WARNING includes DANGER. Wire form is lower case. */
public enum Severity {
    WARNING, DANGER;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

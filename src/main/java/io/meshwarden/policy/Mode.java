package io.meshwarden.policy;

/** audit: report and plan only. enforce: plans are applied. Wire form is lower case. */
public enum Mode {
    AUDIT, ENFORCE;

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

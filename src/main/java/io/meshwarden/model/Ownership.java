package io.meshwarden.model;

import java.util.Map;

/** How Meshwarden marks the objects it creates, so that it only ever retires or reverts its own. */
public final class Ownership {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "meshwarden";

    private Ownership() {
    }

    /** Whether an object with these labels is one Meshwarden created. */
    public static boolean ours(Map<String, String> labels) {
        return labels != null && MANAGED_BY_VALUE.equals(labels.get(MANAGED_BY));
    }
}

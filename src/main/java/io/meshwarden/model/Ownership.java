package io.meshwarden.model;

/** How Meshwarden marks the objects it creates, so that it only ever retires or reverts its own. */
public final class Ownership {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "meshwarden";

    private Ownership() {
    }
}

package io.meshwarden.policy;

/**
 * Type-specific parameters, defaults already applied: one record per policy type, kept in the type's folder under
 * {@code io.meshwarden.policies}.
 */
public interface Parameters {
}

package io.meshwarden.api;

import io.meshwarden.http.Problem;
import io.meshwarden.policy.Violation;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Types that Jackson serializes by reflection outside a resource method's return type. Quarkus registers what
 * resource methods return (and what those reference) for the native image by itself; the problem body is written
 * by the exception mapper as a string, so the native image would not know its accessors without this.
 */
@RegisterForReflection(targets = {Problem.class, Violation.class})
final class NativeReflection {
    private NativeReflection() {
    }
}

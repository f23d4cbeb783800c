package io.meshwarden.api;

import io.meshwarden.http.Problem;
import io.meshwarden.policy.Violation;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Types that Jackson serializes by reflection outside a resource method's return type. Quarkus registers what
 * resource methods return (and what those reference) for the native image by itself; the problem body is written
 * by the exception mapper as a string, so the native image would not know its accessors without this. The resource
 * classes: {@link UriTags} reads their methods' annotations (route templates, the Allow header of a 405).
 */
@RegisterForReflection(targets = {Problem.class, Violation.class, PolicyResource.class, ReportResource.class,
    RunResource.class, SourcesResource.class, HelmResource.class})
final class NativeReflection {
    private NativeReflection() {
    }
}

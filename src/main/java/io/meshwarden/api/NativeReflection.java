package io.meshwarden.api;

import io.meshwarden.enforce.OnboardingPlan;
import io.meshwarden.enforce.OnboardingProgress;
import io.meshwarden.http.Problem;
import io.meshwarden.orchestrate.OnboardingService;
import io.meshwarden.policy.Violation;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Types that Jackson serializes by reflection outside a resource method's return type. Quarkus registers what
 * resource methods return (and what those reference) for the native image by itself; the problem body is written
 * by the exception mapper as a string, so the native image would not know its accessors without this. The resource
 * classes: {@link UriTags} reads their methods' annotations (route templates, the Allow header of a 405). The
 * onboarding's start and resume answer a {@code Response} (so Quarkus does not see their body's type), and its
 * progress is read back from a namespace annotation by Jackson.
 */
@RegisterForReflection(targets = {Problem.class, Violation.class, PolicyResource.class, ReportResource.class,
    RunResource.class, SourcesResource.class, HelmResource.class, OnboardingResource.class,
    OnboardingService.Started.class, OnboardingProgress.class, OnboardingProgress.Halt.class,
    OnboardingPlan.class, OnboardingPlan.Step.class, OnboardingPlan.Hpa.class})
final class NativeReflection {
    private NativeReflection() {
    }
}

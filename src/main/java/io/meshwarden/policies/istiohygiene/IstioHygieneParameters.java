package io.meshwarden.policies.istiohygiene;

import io.meshwarden.policy.Parameters;
import java.util.Set;

/**
 * @param reportDeprecated  whether an annotation Istio marks deprecated is a finding
 * @param allowedAnnotations keys to accept although the pinned Istio versions do not define them (a newer Istio's)
 */
public record IstioHygieneParameters(boolean reportDeprecated, Set<String> allowedAnnotations) implements Parameters {
    public IstioHygieneParameters {
        allowedAnnotations = Set.copyOf(allowedAnnotations);
    }
}

package io.meshwarden.policies.haminimum;

import io.meshwarden.policy.Parameters;
import java.util.List;

/** @param components istiod, ingressgateway, egressgateway, or a Helm release name */
public record HaMinimumParameters(List<String> components, int minReplicas, int autoscaleMin, int autoscaleMax,
        boolean requirePodDisruptionBudget) implements Parameters {
    public HaMinimumParameters {
        components = List.copyOf(components);
    }
}

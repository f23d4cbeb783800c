package io.meshwarden.policies.meshaddons;

import io.meshwarden.policy.Parameters;
import java.util.List;

/**
 * @param allowed       add-ons ({@code kiali}, {@code grafana}, {@code jaeger}, {@code prometheus}) that may run at
 *                      all; the others are reported wherever they are found
 * @param allowExposure whether an add-on may be reachable from outside the cluster (LoadBalancer/NodePort Service,
 *                      or a VirtualService bound to a gateway)
 */
public record MeshAddonsParameters(List<String> allowed, boolean allowExposure) implements Parameters {
    public MeshAddonsParameters {
        allowed = allowed == null ? List.of() : List.copyOf(allowed);
    }
}

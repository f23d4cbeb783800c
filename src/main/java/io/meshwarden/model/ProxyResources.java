package io.meshwarden.model;

import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;
import java.util.Optional;

/**
 * Requests and limits of the {@code istio-proxy} container. Kept as the strings from the manifest because a fabric8
 * {@link Quantity} carries a map of additional properties per instance; rules parse on demand.
 */
public record ProxyResources(Map<String, String> requests, Map<String, String> limits) {
    public ProxyResources {
        requests = requests == null ? Map.of() : Map.copyOf(requests);
        limits = limits == null ? Map.of() : Map.copyOf(limits);
    }

    /** @param resource e.g. {@code cpu}, {@code memory} */
    public Optional<Quantity> request(String resource) {
        return quantity(requests.get(resource));
    }

    public Optional<Quantity> limit(String resource) {
        return quantity(limits.get(resource));
    }

    private static Optional<Quantity> quantity(String value) {
        return value == null ? Optional.empty() : Optional.of(new Quantity(value));
    }
}

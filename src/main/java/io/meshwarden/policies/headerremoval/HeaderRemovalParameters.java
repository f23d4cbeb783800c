package io.meshwarden.policies.headerremoval;

import io.meshwarden.policy.Parameters;
import java.util.List;
import java.util.Map;

/**
 * @param gatewaySelector pod labels of the gateways to check
 * @param headers         response headers that must not leave the gateway, lower case
 */
public record HeaderRemovalParameters(Map<String, String> gatewaySelector, List<String> headers)
        implements Parameters {
    public HeaderRemovalParameters {
        gatewaySelector = Map.copyOf(gatewaySelector);
        headers = List.copyOf(headers);
    }
}

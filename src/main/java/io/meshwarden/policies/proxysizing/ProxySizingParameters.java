package io.meshwarden.policies.proxysizing;

import io.meshwarden.policy.Parameters;
import java.math.BigDecimal;

/**
 * Quantities are kept as the user wrote them (canonical string) and compared through fabric8's Quantity.
 *
 * @param limits null when the policy leaves limits alone
 */
public record ProxySizingParameters(Resources requests, Resources limits, BigDecimal tolerancePercent)
        implements Parameters {

    /** A null quantity is not set. */
    public record Resources(String cpu, String memory) {
    }
}

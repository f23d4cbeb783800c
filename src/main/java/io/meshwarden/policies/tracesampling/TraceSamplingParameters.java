package io.meshwarden.policies.tracesampling;

import io.meshwarden.policy.Parameters;
import java.math.BigDecimal;

/** @param maxPercent the highest sampling rate (0-100) any injected workload may effectively get */
public record TraceSamplingParameters(BigDecimal maxPercent) implements Parameters {
}

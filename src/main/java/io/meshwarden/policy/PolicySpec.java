package io.meshwarden.policy;

import java.util.List;

public record PolicySpec(PolicyType type, Mode mode, Severity severity, Target target, List<Exemption> exemptions,
        Parameters parameters) {
    public PolicySpec {
        exemptions = List.copyOf(exemptions);
    }
}

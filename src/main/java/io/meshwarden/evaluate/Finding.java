package io.meshwarden.evaluate;

import io.meshwarden.model.HelmRef;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.PolicyType;
import io.meshwarden.policy.Severity;
import java.util.Comparator;

/**
 * One failed check.
 *
 * @param rule        stable kebab-case id, e.g. {@code ha-hpa-min-replicas}; see {@link Rules}
 * @param helmRelease the release whose values are at fault or can fix it; null when none is involved
 * @param path        where the offending value lives, in the notation of its source (a field path of the
 *                    resource, or a dotted Helm values path)
 */
public record Finding(String policy, PolicyType type, String rule, Severity severity, ResourceRef resource,
        HelmRef helmRelease, String path, String expected, String actual, String message, Remedy remedy) {

    private static final Comparator<String> NULLS_FIRST = Comparator.nullsFirst(Comparator.naturalOrder());

    /** Report order: policy, resource, rule, then path so that two findings of one rule on one object stay stable. */
    public static final Comparator<Finding> ORDER = Comparator.comparing(Finding::policy)
            .thenComparing(Finding::resource).thenComparing(Finding::rule).thenComparing(Finding::path, NULLS_FIRST);
}

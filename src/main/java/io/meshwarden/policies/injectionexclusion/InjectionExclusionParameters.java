package io.meshwarden.policies.injectionexclusion;

import io.meshwarden.policy.Parameters;
import java.util.List;

/**
 * @param workloadKinds      Job and/or CronJob
 * @param whenNativeSidecars what to do where native sidecars are on
 */
public record InjectionExclusionParameters(List<String> workloadKinds, NativeSidecars whenNativeSidecars)
        implements Parameters {
    public InjectionExclusionParameters {
        workloadKinds = List.copyOf(workloadKinds);
    }

    /** skip: with native sidecars Jobs finish on their own and keep mTLS, so they are left alone. */
    public enum NativeSidecars {
        SKIP, ENFORCE
    }
}

package io.meshwarden.policies.workloadha;

import io.meshwarden.policy.Parameters;

/** @param minimumReplicas the replicas (or HPA floor) an application workload must keep to survive a drain */
public record WorkloadHaParameters(int minimumReplicas) implements Parameters {
}

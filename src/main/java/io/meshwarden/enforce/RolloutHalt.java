package io.meshwarden.enforce;

import io.meshwarden.model.ResourceRef;

/**
 * Why and where a rollout stopped.
 *
 * @param changeId   the change whose rollout was being watched; null when none was
 * @param workload   its target; null when none was
 * @param eventError null, or why the Warning Event on the workload could not be created
 */
public record RolloutHalt(RolloutHaltReason reason, String changeId, ResourceRef workload, String detail,
        String eventError) {
    public String describe() {
        return reason + (workload == null ? "" : " at " + workload) + (detail == null ? "" : ": " + detail);
    }
}

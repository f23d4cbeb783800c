package io.meshwarden.evaluate;

import java.util.List;

/**
 * Sidecar requests summed over the injected long-running workloads (Jobs and CronJobs excluded), each multiplied by
 * its replica count: spec.replicas, else the HPA's desired then minimum replicas, else 1 (DaemonSets count once,
 * the node count is not in the snapshot).
 *
 * @param perPolicy what the totals would be if every workload a ProxySizing policy covers used that policy's
 *                  requests (workloads it does not cover keep theirs)
 */
public record CostSummary(int workloads, long currentCpuMillis, long currentMemoryBytes,
        List<PolicyCost> perPolicy) {
    public CostSummary {
        perPolicy = List.copyOf(perPolicy);
    }

    public record PolicyCost(String policy, int coveredWorkloads, long cpuMillis, long memoryBytes) {
    }
}

package io.meshwarden.policies.sidecarcoverage;

import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.policy.Parameters;
import java.math.BigDecimal;

/**
 * The settings of the staged onboarding run (issue 15: restart the reported workloads in batches through the change
 * budget, pre-sized, halting on trouble). The report reads none of them; the onboarding dry run reads batchSize and
 * presizeProxies (and shows pauseSeconds); the onboarding run reads them all.
 *
 * @param batchSize      workloads the onboarding run restarts at once
 * @param pauseSeconds   wait after a batch has rolled out and passed its checks, before the next one
 * @param presizeProxies apply the ProxySizing policy that covers a workload in the same template change as its
 *                       restart, so that the new sidecar starts with the intended requests
 */
public record SidecarCoverageParameters(int batchSize, int pauseSeconds, boolean presizeProxies, Halt halt)
        implements Parameters, StagedRestarts {

    @Override
    public StagedRestarts.Halts halts() {
        return new StagedRestarts.Halts(halt.hpaSurgePercent(), halt.crashLoopRestarts(), halt.deadlineSeconds(),
                halt.proxyCpuOverRequest());
    }

    /**
     * When the onboarding run stops and waits for a human.
     *
     * @param hpaSurgePercent       the workload's HPA raises its desired replicas by more than this during a restart
     * @param crashLoopRestarts     a container of the new pods restarted this many times
     * @param deadlineSeconds       a restart has not rolled out after this long
     * @param proxyCpuOverRequest   the new proxies use more than this factor of their CPU request (where the
     *                              metrics API serves pod metrics)
     */
    public record Halt(int hpaSurgePercent, int crashLoopRestarts, int deadlineSeconds,
            BigDecimal proxyCpuOverRequest) {
    }
}

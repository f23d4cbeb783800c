package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.orchestrate.EnforcementService;
import io.meshwarden.policy.MeshPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 20, the API server killed mid-run: an enforcing run of 23 changes (20 CronJob pod-template labels, which
 * restart nothing, then 3 Deployments' proxy sizing, one rollout at a time) against a control plane of this class'
 * own; {@code kill -9} of the kube-apiserver once its audit log shows the k-th write of the run, and a restart.
 *
 * <p>The API server's audit log is the witness: every change must have been written by Meshwarden's client exactly
 * once over the interrupted run and the next one (a second, even identical, patch would show as a second request),
 * each object must carry one {@code MeshwardenApplied} Event, the {@code meshwarden.io/applied-by} annotation and a
 * managedFields entry of {@code meshwarden}. A run the API server stopped is {@code incomplete} with the halt
 * {@code API_UNAVAILABLE} (docs/enforcement.md, "Behaviour under API-server faults"), and the next run plans and
 * applies exactly the changes that had not landed; the interrupted run's plan, sent again, writes nothing.
 */
class ApiServerFaultsE2E {
    static final String AGENT = "meshwarden-faults-e2e";
    static final int CRON_JOBS = 20;
    static final int DEPLOYMENTS = 3;
    static final RolloutConfig CONFIG = RolloutConfig.DEFAULTS.withPollInterval(Duration.ofMillis(250))
            .withDeadline(Duration.ofSeconds(60)).withWritesPerSecond(4);

    static FaultControlPlane cp;

    FaultWorkloads workloads;

    @BeforeAll
    static void up() {
        cp = FaultControlPlane.up("controlplane-faults");
    }

    @AfterAll
    static void down() {
        if (cp != null) {
            cp.down();
        }
    }

    @BeforeEach
    void setUp() {
        workloads = FaultWorkloads.create(cp, "meshwarden-faults-e2e-setup", "e2e-fault", CRON_JOBS, DEPLOYMENTS,
                write -> AGENT.equals(write.userAgent()));
    }

    @AfterEach
    void tearDown() {
        if (workloads != null) {
            workloads.delete();
        }
    }

    /**
     * Killed among the writes that restart nothing: the next write's read finds no server, the retries run out,
     * and the run stops there.
     */
    @ParameterizedTest(name = "kube-apiserver killed after write {0}")
    @ValueSource(ints = {3, 14})
    void killedDuringTheWritesThatRestartNothing(int k) throws Exception {
        Plan plan = plan();
        assertEquals(CRON_JOBS + DEPLOYMENTS, plan.changes().size(), plan::toString);

        FaultWorkloads.Faulted faulted = workloads.runFaultingAfter(AGENT, plan, CONFIG, k,
                () -> cp.kill("kube-apiserver"));
        RolloutResult first = faulted.result();
        FaultWorkloads.Fault fault = faulted.fault();
        // Down until the run gave up: the restart comes after it, as an operator's would.
        cp.restartApiServer();

        RolloutResult second = workloads.assertIncompleteThenResumed(plan, first, k, AGENT, CONFIG);

        FaultWorkloads.Evidence evidence = workloads.assertEachChangeAppliedOnce(plan, List.of(first, second));
        workloads.figures("api-server kill -9 after write " + k + " (restart after the run gave up)", fault, first,
                second, evidence);
    }

    /**
     * Killed while a Deployment rolls out and started again 3 s later: the runner, polling the rollout, waits the
     * outage out within its deadline and the run completes with every change once.
     */
    @Test
    void killedDuringARolloutAndBackWithinItsDeadline() throws Exception {
        int k = CRON_JOBS + 2;
        Plan plan = plan();
        FaultWorkloads.Faulted faulted = workloads.runFaultingAfter(AGENT, plan, CONFIG, k, () -> {
            cp.kill("kube-apiserver");
            PackagedMeshwarden.sleep(3000);
            cp.restartApiServer();
        });
        RolloutResult run = faulted.result();
        FaultWorkloads.Fault fault = faulted.fault();
        assertFalse(run.halted(), () -> run.halt().describe());
        assertEquals("applied", EnforcementService.outcome(false, plan, run), () -> run.outcomes().toString());
        assertEquals(plan.changes().size(), run.applied().size(), () -> run.outcomes().toString());
        assertTrue(plan().changes().isEmpty(), "converged: nothing left to plan");
        FaultWorkloads.Evidence evidence = workloads.assertEachChangeAppliedOnce(plan, List.of(run));
        workloads.figures("api-server kill -9 after write " + k + ", during a rollout (restart 3 s later)", fault,
                run, null, evidence);
    }

    /**
     * The API server gone when a pod-restarting change is about to start (as when it dies while the runner waits
     * for the previous rollout): the runner reads the workload's pods and HPA first, and that read finding no
     * server must stop the run like a write's would, incomplete with the rest deferred, not fail each remaining
     * change in turn.
     */
    @Test
    void goneWhenAPodRestartingChangeStarts() throws Exception {
        List<MeshPolicy> sizing = List.of(workloads.policies.get(1));
        Plan plan = plan(sizing);
        assertEquals(DEPLOYMENTS, plan.changes().size(), plan::toString);
        cp.kill("kube-apiserver");
        FaultWorkloads.Fault fault = new FaultWorkloads.Fault(0, Instant.now());
        RolloutResult first;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            first = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(plan, false);
        }
        cp.restartApiServer();

        List<RolloutOutcome.Status> statuses = first.outcomes().stream().map(RolloutOutcome::status).toList();
        assertTrue(first.halted(), () -> "the run went on without an API server: " + first.outcomes());
        assertEquals(RolloutHaltReason.API_UNAVAILABLE, first.halt().reason(), first.halt()::describe);
        assertEquals("incomplete", EnforcementService.outcome(false, plan, first), statuses::toString);
        assertEquals(List.of(RolloutOutcome.Status.DEFERRED, RolloutOutcome.Status.DEFERRED),
                statuses.subList(1, statuses.size()), () -> first.outcomes().toString());

        Plan next = plan(sizing);
        assertEquals(DEPLOYMENTS, next.changes().size(), "nothing was written, so the next run plans it all");
        RolloutResult second;
        try (KubernetesClient meshwarden = cp.client(AGENT)) {
            second = new RolloutRunner(meshwarden, CONFIG, ApiRetry.DEFAULT).run(next, false);
        }
        assertEquals("applied", EnforcementService.outcome(false, next, second), () -> second.outcomes().toString());
        FaultWorkloads.Evidence evidence = workloads.assertEachChangeAppliedOnce(plan, List.of(first, second));
        workloads.figures("api-server gone when a pod-restarting change starts (restart after the run gave up)",
                fault, first, second, evidence);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    Plan plan() {
        return workloads.plan();
    }

    Plan plan(List<MeshPolicy> policies) {
        return workloads.plan(policies, workloads.client, ApiRetry.DEFAULT);
    }

    List<FaultControlPlane.Write> meshwardenWrites() {
        return workloads.meshwardenWrites();
    }
}

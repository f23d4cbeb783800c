package io.meshwarden.policies.sidecarcoverage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * SidecarCoverage: the running pods of a workload carry what injection would give them now. Its parameters belong to
 * the staged onboarding run: its dry run (enforce.OnboardingPlanner) reads batchSize and presizeProxies; the run
 * (enforce.OnboardingRunner) reads pauseSeconds and the halt thresholds too.
 */
public final class SidecarCoverageType implements PolicyKind {
    public static final SidecarCoverageType TYPE = new SidecarCoverageType();

    private static final String RUN = " (used by the onboarding run; the report ignores it)";
    private static final String DRY_RUN = " (the onboarding dry run uses it; the report ignores it)";
    /** The rollout settings' defaults, from the one place they are written. */
    private static final int BATCH = Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_MAX_CONCURRENT);
    private static final int SURGE = Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_HPA_SURGE_PERCENT);
    private static final int CRASHES = Integer.parseInt(MeshwardenConfig.Rollout.DEFAULT_CRASH_LOOP_RESTARTS);
    private static final int DEADLINE = (int) Duration.parse(MeshwardenConfig.Rollout.DEFAULT_DEADLINE).toSeconds();
    /** No rollout setting exists for it. */
    private static final BigDecimal CPU_FACTOR = BigDecimal.valueOf(2);

    private static final Shape HALT = Shape.of(
            new Field.Int("hpaSurgePercent", 0, 10_000, SURGE, "Halt when the workload's HPA raises its desired "
                    + "replicas by more than this percent during a restart; default meshwarden.rollout."
                    + "hpa-surge-percent's" + RUN),
            new Field.Int("crashLoopRestarts", 1, 1000, CRASHES, "Halt when a container of the new pods restarted "
                    + "this many times; default meshwarden.rollout.crash-loop-restarts'" + RUN),
            new Field.Int("deadlineSeconds", 1, 86_400, DEADLINE, "Halt when a restart has not rolled out after "
                    + "this many seconds; default meshwarden.rollout.deadline's" + RUN),
            new Field.Decimal("proxyCpuOverRequest", BigDecimal.ONE, BigDecimal.valueOf(100), CPU_FACTOR,
                    "Halt when the new proxies use more than this factor of their CPU request, where the metrics "
                            + "API serves pod metrics" + RUN));
    private static final Shape PARAMETERS = Shape.of(
            new Field.Int("batchSize", 1, 1000, BATCH, "Workloads restarted at once: the onboarding order is "
                    + "grouped in batches of this size; default meshwarden.rollout.max-concurrent's" + DRY_RUN),
            new Field.Int("pauseSeconds", 0, 86_400, 0, "Wait between batches, after a batch rolled out and passed "
                    + "its checks" + RUN),
            new Field.Bool("presizeProxies", true, "Apply the ProxySizing policy that covers a workload in the "
                    + "same template change as its restart" + DRY_RUN),
            new Field.Nested("halt", HALT, "When the onboarding run stops for a human" + RUN));

    private SidecarCoverageType() {
    }

    public String name() {
        return "SidecarCoverage";
    }

    public String description() {
        return "Running pods carry what injection gives them now: a sidecar where injection is on, none where it is "
                + "off, from the revision that injects now";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        Shape.Values h = v.object("halt");
        SidecarCoverageParameters.Halt halt = new SidecarCoverageParameters.Halt(haltInt(h, "hpaSurgePercent"),
                haltInt(h, "crashLoopRestarts"), haltInt(h, "deadlineSeconds"),
                h == null ? CPU_FACTOR : h.decimal("proxyCpuOverRequest"));
        return new SidecarCoverageParameters(v.integer("batchSize"), v.integer("pauseSeconds"),
                v.bool("presizeProxies"), halt);
    }

    private static int haltInt(Shape.Values h, String name) {
        Integer value = h == null ? ((Field.Int) HALT.field(name)).defaultInt() : h.integer(name);
        return value == null ? 0 : value;
    }

    public void write(Parameters parameters, ObjectNode o) {
        SidecarCoverageParameters p = (SidecarCoverageParameters) parameters;
        o.put("batchSize", p.batchSize());
        o.put("pauseSeconds", p.pauseSeconds());
        o.put("presizeProxies", p.presizeProxies());
        o.putObject("halt").put("hpaSurgePercent", p.halt().hpaSurgePercent())
                .put("crashLoopRestarts", p.halt().crashLoopRestarts())
                .put("deadlineSeconds", p.halt().deadlineSeconds())
                .put("proxyCpuOverRequest", p.halt().proxyCpuOverRequest());
    }

    public List<RuleId> rules() {
        return List.of(CoverageRule.SIDECAR_MISSING, CoverageRule.SIDECAR_LINGERING, CoverageRule.OLD_REVISION);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return CoverageRule.evaluate(policy, snapshot);
    }

    @Override
    public List<Note> notes(MeshPolicy policy, ClusterSnapshot snapshot) {
        return CoverageRule.notes(policy, snapshot);
    }
}

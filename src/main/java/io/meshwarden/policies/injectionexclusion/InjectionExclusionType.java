package io.meshwarden.policies.injectionexclusion;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/** InjectionExclusion: Jobs and CronJobs with a classic sidecar never complete. */
public final class InjectionExclusionType implements PolicyKind {
    public static final InjectionExclusionType TYPE = new InjectionExclusionType();

    private static final List<String> KINDS = List.of("Job", "CronJob");
    private static final Shape PARAMETERS = Shape.of(
            new Field.StringList("workloadKinds", 1, Field.enumItem(KINDS),
                    k -> KINDS.contains(k) ? null : "must be Job or CronJob, got '" + k + "'", KINDS,
                    "must name at least one of Job, CronJob", "Which batch kinds must not get a classic sidecar"),
            new Field.Enum("whenNativeSidecars", List.of("skip", "enforce"), "skip", "skip: leave Jobs alone where "
                    + "native sidecars are on (they finish and keep mTLS); enforce: exclude them anyway"));

    private InjectionExclusionType() {
    }

    public String name() {
        return "InjectionExclusion";
    }

    public String description() {
        return "Jobs and CronJobs do not get a classic istio-proxy sidecar, which would keep them from completing";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new InjectionExclusionParameters(List.copyOf(new LinkedHashSet<>(v.strings("workloadKinds"))),
                InjectionExclusionParameters.NativeSidecars.valueOf(
                        v.string("whenNativeSidecars").toUpperCase(Locale.ROOT)));
    }

    public void write(Parameters parameters, ObjectNode o) {
        InjectionExclusionParameters ie = (InjectionExclusionParameters) parameters;
        ie.workloadKinds().forEach(o.putArray("workloadKinds")::add);
        o.put("whenNativeSidecars", ie.whenNativeSidecars().name().toLowerCase(Locale.ROOT));
    }

    public List<RuleId> rules() {
        return List.of(InjectionExclusionRule.JOB_SIDECAR);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return InjectionExclusionRule.evaluate(policy, snapshot);
    }
}

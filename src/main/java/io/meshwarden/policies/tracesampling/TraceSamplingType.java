package io.meshwarden.policies.tracesampling;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.math.BigDecimal;
import java.util.List;

/** TraceSampling: trace sampling left at a demo rate costs proxy CPU and tracing-backend storage at scale. */
public final class TraceSamplingType implements PolicyKind {
    public static final TraceSamplingType TYPE = new TraceSamplingType();

    private static final Shape PARAMETERS = Shape.of(new Field.Decimal("maxPercent", BigDecimal.ZERO,
            BigDecimal.valueOf(100), BigDecimal.ONE, "Highest effective sampling rate, in percent"));

    private TraceSamplingType() {
    }

    public String name() {
        return "TraceSampling";
    }

    public String description() {
        return "The trace sampling rate each injected workload really gets stays at or below maxPercent";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new TraceSamplingParameters(v.decimal("maxPercent"));
    }

    public void write(Parameters parameters, ObjectNode o) {
        o.put("maxPercent", ((TraceSamplingParameters) parameters).maxPercent());
    }

    public List<RuleId> rules() {
        return List.of(TraceSamplingRule.TOO_HIGH);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return TraceSamplingRule.evaluate(policy, snapshot);
    }
}

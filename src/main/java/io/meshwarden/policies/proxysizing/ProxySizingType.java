package io.meshwarden.policies.proxysizing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Numbers;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** ProxySizing: sidecars sized on purpose, neither at the 100m default nor too small for the HPA's comfort. */
public final class ProxySizingType implements PolicyKind {
    public static final ProxySizingType TYPE = new ProxySizingType();

    private static final Shape RESOURCES = Shape.of(
            new Field.QuantityValue("cpu", "CPU quantity, e.g. 100m"),
            new Field.QuantityValue("memory", "Memory quantity, e.g. 128Mi"));
    private static final Shape PARAMETERS = Shape.of(
            new Field.Nested("requests", RESOURCES.requiring("cpu", "memory"), "The sidecar's requests"),
            new Field.Nested("limits", RESOURCES, "The sidecar's limits; left alone when absent"),
            new Field.Decimal("tolerance", BigDecimal.ZERO, BigDecimal.valueOf(100), BigDecimal.TEN,
                    "How far, in percent, a sidecar may be from the policy and still pass"))
            .requiring("requests");

    private ProxySizingType() {
    }

    public String name() {
        return "ProxySizing";
    }

    public String description() {
        return "Sidecar requests (and optionally limits) stay within a tolerance of the policy's";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        ProxySizingParameters.Resources requests = resources(v.object("requests"));
        ProxySizingParameters.Resources limits = resources(v.object("limits"));
        if (requests != null && limits != null) {
            Shape.Values lv = v.object("limits");
            atLeast(lv, "cpu", requests.cpu(), limits.cpu());
            atLeast(lv, "memory", requests.memory(), limits.memory());
        }
        return new ProxySizingParameters(requests, limits, v.decimal("tolerance"));
    }

    private static ProxySizingParameters.Resources resources(Shape.Values v) {
        return v == null ? null : new ProxySizingParameters.Resources(v.string("cpu"), v.string("memory"));
    }

    private static void atLeast(Shape.Values limits, String field, String request, String limit) {
        if (request == null || limit == null) {
            return;
        }
        BigDecimal req = Numbers.quantity(request);
        BigDecimal lim = Numbers.quantity(limit);
        if (lim.compareTo(req) < 0) {
            limits.fail(field, "must be greater than or equal to the request (" + request + "), got " + limit);
        }
    }

    public void write(Parameters parameters, ObjectNode o) {
        ProxySizingParameters ps = (ProxySizingParameters) parameters;
        writeResources(o, "requests", ps.requests());
        writeResources(o, "limits", ps.limits());
        o.put("tolerance", ps.tolerancePercent());
    }

    private static void writeResources(ObjectNode parent, String field, ProxySizingParameters.Resources res) {
        if (res == null) {
            return;
        }
        ObjectNode o = parent.putObject(field);
        if (res.cpu() != null) {
            o.put("cpu", res.cpu());
        }
        if (res.memory() != null) {
            o.put("memory", res.memory());
        }
    }

    @Override
    public List<CelRule> crdRules() {
        return List.of(new CelRule("self.type != 'ProxySizing' || (has(self.parameters) && "
                + "has(self.parameters.requests))", "type ProxySizing requires parameters.requests"));
    }

    public List<RuleId> rules() {
        return List.of(ProxySizingRule.DEVIATES);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return ProxySizingRule.evaluate(policy, snapshot);
    }

    @Override
    public Optional<CostSummary> cost(List<MeshPolicy> policiesOfThisType, ClusterSnapshot snapshot) {
        return Optional.of(ProxySizingRule.cost(policiesOfThisType, snapshot));
    }

    @Override
    public Map<ResourceRef, Remedy> presize(MeshPolicy policy, List<Workload> workloads, ClusterSnapshot snapshot) {
        return ProxySizingRule.presize(policy, workloads, snapshot);
    }
}

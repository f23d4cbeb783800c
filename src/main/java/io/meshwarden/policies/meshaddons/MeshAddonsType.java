package io.meshwarden.policies.meshaddons;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.Addon;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.List;

/** MeshAddons: Istio's demo add-ons (Kiali, Grafana, Jaeger, Prometheus) left running as production monitoring. */
public final class MeshAddonsType implements PolicyKind {
    public static final MeshAddonsType TYPE = new MeshAddonsType();

    private static final Shape PARAMETERS = Shape.of(
            new Field.StringList("allowed", 0, Field.enumItem(Addon.ids()), v -> Addon.byId(v).isPresent() ? null
                    : "must be one of " + String.join(", ", Addon.ids()) + ", got '" + v + "'", List.of(), null,
                    "Add-ons that may run; any other one found is reported"),
            new Field.Bool("allowExposure", false,
                    "Whether an add-on may be reachable from outside the cluster"));

    private MeshAddonsType() {
    }

    public String name() {
        return "MeshAddons";
    }

    public String description() {
        return "Istio's sample add-ons are not left running as production monitoring: allowed, authenticated, "
                + "persistent, sized and not exposed";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new MeshAddonsParameters(v.strings("allowed"), Boolean.TRUE.equals(v.bool("allowExposure")));
    }

    public void write(Parameters parameters, ObjectNode o) {
        MeshAddonsParameters p = (MeshAddonsParameters) parameters;
        p.allowed().forEach(o.putArray("allowed")::add);
        o.put("allowExposure", p.allowExposure());
    }

    public List<RuleId> rules() {
        return List.of(AllowedRule.NOT_ALLOWED, KialiAuthRule.ANONYMOUS, GrafanaAuthRule.OPEN,
                StorageRule.EPHEMERAL, ExposureRule.EXPOSED, ResourcesRule.MISSING);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        MeshAddonsParameters p = (MeshAddonsParameters) policy.spec().parameters();
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (FoundAddon a : FoundAddon.find(snapshot)) {
            if (!scope.covers(a.workload())) {
                continue;
            }
            AllowedRule.check(a, p, checks);
            KialiAuthRule.check(a, snapshot, checks);
            GrafanaAuthRule.check(a, snapshot, checks);
            StorageRule.check(a, checks);
            ExposureRule.check(a, p, snapshot, checks);
            ResourcesRule.check(a, checks);
        }
        return checks.outcome();
    }
}

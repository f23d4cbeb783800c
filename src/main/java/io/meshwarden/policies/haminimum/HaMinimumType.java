package io.meshwarden.policies.haminimum;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Names;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * HaMinimum: enough istiod/gateway replicas that a node drain or a crash does not take the component down. Checked
 * in the install values ({@link InstallValuesRule}) and on the live objects ({@link LiveObjectsRule}), because each
 * can be wrong on its own.
 */
public final class HaMinimumType implements PolicyKind {
    public static final HaMinimumType TYPE = new HaMinimumType();

    public static final Set<String> WELL_KNOWN_COMPONENTS = Set.of(Components.ISTIOD, Components.INGRESS,
            Components.EGRESS);
    private static final int MAX = 1000;
    private static final Shape PARAMETERS = Shape.of(
            new Field.StringList("components", 1,
                    Field.stringItem("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 63),
                    c -> WELL_KNOWN_COMPONENTS.contains(c) || Names.checkLabel(c) == null ? null
                            : "must be istiod, ingressgateway, egressgateway or a Helm release name ("
                                    + Names.checkLabel(c) + ")",
                    List.of(Components.ISTIOD), "must name at least one component",
                    "istiod, ingressgateway, egressgateway, or a Helm release name"),
            new Field.Int("minReplicas", 1, MAX, 2, "Replicas a component without an HPA must run"),
            new Field.Int("autoscaleMin", 1, MAX, 2, "The floor an HPA (or the chart's autoscaleMin) must keep"),
            new Field.Int("autoscaleMax", 1, MAX, null, "The ceiling an HPA must allow at least; default "
                    + "max(5, autoscaleMin); must be >= autoscaleMin"),
            new Field.Bool("requirePodDisruptionBudget", true, "Whether a PodDisruptionBudget must select the "
                    + "component's pods"));

    private HaMinimumType() {
    }

    public String name() {
        return "HaMinimum";
    }

    public String description() {
        return "istiod and the gateways run enough replicas, with an HPA floor and a PDB that lets drains proceed";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        int min = v.integer("autoscaleMin");
        Integer max = v.integer("autoscaleMax");
        if (max != null && max < min) {
            v.fail("autoscaleMax", "must be greater than or equal to autoscaleMin (" + min + "), got " + max);
        }
        return new HaMinimumParameters(List.copyOf(new LinkedHashSet<>(v.strings("components"))),
                v.integer("minReplicas"), min, max == null ? Math.max(5, min) : max,
                v.bool("requirePodDisruptionBudget"));
    }

    public void write(Parameters parameters, ObjectNode o) {
        HaMinimumParameters ha = (HaMinimumParameters) parameters;
        ha.components().forEach(o.putArray("components")::add);
        o.put("minReplicas", ha.minReplicas());
        o.put("autoscaleMin", ha.autoscaleMin());
        o.put("autoscaleMax", ha.autoscaleMax());
        o.put("requirePodDisruptionBudget", ha.requirePodDisruptionBudget());
    }

    @Override
    public List<CelRule> crdRules() {
        return List.of(new CelRule("!has(self.parameters) || !has(self.parameters.autoscaleMax) || "
                + "self.parameters.autoscaleMax >= (has(self.parameters.autoscaleMin) ? self.parameters.autoscaleMin"
                + " : 2)", "autoscaleMax must be greater than or equal to autoscaleMin (default 2)"));
    }

    public List<RuleId> rules() {
        return List.of(InstallValuesRule.HELM_AUTOSCALE_MIN, InstallValuesRule.HELM_AUTOSCALE_MAX,
                InstallValuesRule.HELM_REPLICA_COUNT, InstallValuesRule.IOP_HPA_MIN_REPLICAS,
                LiveObjectsRule.HPA_MIN_REPLICAS, LiveObjectsRule.HPA_MAX_REPLICAS, LiveObjectsRule.DEPLOYMENT_REPLICAS,
                LiveObjectsRule.PDB_MISSING, LiveObjectsRule.PDB_BLOCKS_EVICTION, LiveObjectsRule.PDB_OVERLAPPING);
    }

    /** A component with no install source had its live objects checked at best, never the values that make them. */
    @Override
    public List<Note> notes(MeshPolicy policy, ClusterSnapshot snapshot) {
        HaMinimumParameters p = (HaMinimumParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        List<Note> out = new ArrayList<>();
        for (String component : p.components()) {
            if (!Components.installed(component, mesh)) {
                out.add(new Note(Note.NO_HELM_RELEASE, policy.name(), "no Helm release (nor Sail Istio or "
                        + "IstioOperator) installs component '" + component + "': its install values were not "
                        + "checked"));
            }
        }
        return out;
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        HaMinimumParameters p = (HaMinimumParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (String component : p.components()) {
            List<Workload> deployments = Components.deployments(component, mesh);
            InstallValuesRule.checkValues(component, p, mesh, scope, checks, deployments);
            for (Workload d : deployments) {
                if (scope.covers(d)) {
                    LiveObjectsRule.checkDeployment(d, p, snapshot, scope, checks);
                }
            }
        }
        return checks.outcome();
    }
}

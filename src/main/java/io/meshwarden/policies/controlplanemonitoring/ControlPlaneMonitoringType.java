package io.meshwarden.policies.controlplanemonitoring;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.List;
import java.util.Map;

/** ControlPlaneMonitoring: a control plane nobody scrapes, or whose failures page no one, fails silently. */
public final class ControlPlaneMonitoringType implements PolicyKind {
    public static final ControlPlaneMonitoringType TYPE = new ControlPlaneMonitoringType();

    private static final Shape PARAMETERS = Shape.of(
            new Field.Enum("scrape", List.of(ControlPlaneMonitoringParameters.OPERATOR,
                    ControlPlaneMonitoringParameters.ANNOTATIONS), ControlPlaneMonitoringParameters.OPERATOR,
                    "operator: a prometheus-operator ServiceMonitor/PodMonitor must select istiod and each gateway; "
                            + "annotations: their pods must carry prometheus.io/scrape: \"true\""),
            new Field.Labels("monitorLabels", 0, null, Map.of(), "Labels your Prometheus selects monitors and rules "
                    + "by; monitors and rules without them do not count, and Meshwarden's carry them"),
            new Field.StringList("alerts", 0, Field.enumItem(Alerts.ids()), v -> Alerts.byId(v).isPresent() ? null
                    : "must be one of " + String.join(", ", Alerts.ids()) + ", got '" + v + "'", Alerts.ids(), null,
                    "Control-plane failures that must have an alert rule"));

    private ControlPlaneMonitoringType() {
    }

    public String name() {
        return "ControlPlaneMonitoring";
    }

    public String description() {
        return "istiod and the gateways are scraped, and alert rules watch push errors, rejected configs, listener "
                + "conflicts, webhooks and certificate expiry";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new ControlPlaneMonitoringParameters(v.string("scrape"), v.labels("monitorLabels"), v.strings("alerts"));
    }

    public void write(Parameters parameters, ObjectNode o) {
        ControlPlaneMonitoringParameters p = (ControlPlaneMonitoringParameters) parameters;
        o.put("scrape", p.scrape());
        o.set("monitorLabels", Json.labels(p.monitorLabels()));
        p.alerts().forEach(o.putArray("alerts")::add);
    }

    public List<RuleId> rules() {
        return List.of(ScrapeRule.ISTIOD, ScrapeRule.GATEWAY, AlertRule.MISSING);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        ControlPlaneMonitoringParameters p = (ControlPlaneMonitoringParameters) policy.spec().parameters();
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        ControlPlane cp = ControlPlane.of(snapshot, scope);
        for (Workload w : cp.istiods()) {
            ScrapeRule.check(w, true, cp, p, snapshot, checks);
        }
        for (Workload w : cp.gateways()) {
            ScrapeRule.check(w, false, cp, p, snapshot, checks);
        }
        // Alerts watch the control plane: without an istiod in the target there is nothing to alert on.
        if (!cp.istiods().isEmpty()) {
            for (String id : p.alerts()) {
                AlertRule.check(Alerts.byId(id).orElseThrow(), cp, p, snapshot, checks);
            }
        }
        return checks.outcome();
    }
}

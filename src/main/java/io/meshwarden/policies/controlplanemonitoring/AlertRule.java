package io.meshwarden.policies.controlplanemonitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.OperatorKind;
import io.meshwarden.model.OperatorResource;
import io.meshwarden.model.ResourceRef;
import java.util.List;

/**
 * For each failure class the policy names, some PrometheusRule carrying the policy's labels must hold an alert whose
 * expression uses one of the class's metrics. Recording rules do not count: they page no one.
 */
final class AlertRule {
    static final RuleId MISSING = new RuleId("monitoring-alert-missing",
            "No PrometheusRule alerts on one of the control-plane failures (push errors, rejected configs, "
                    + "listener conflicts, webhooks, certificate expiry)");
    static final String NAME_PREFIX = "meshwarden-istio-";

    private AlertRule() {
    }

    static void check(Alerts alert, ControlPlane cp, ControlPlaneMonitoringParameters p, ClusterSnapshot snapshot,
            Checks checks) {
        List<OperatorResource> rules = snapshot.operatorResources(OperatorKind.PROMETHEUS_RULE).stream()
                .filter(r -> Monitors.carries(r, p.monitorLabels())).toList();
        for (OperatorResource r : rules) {
            for (JsonNode g : r.spec().path("groups")) {
                for (JsonNode rule : g.path("rules")) {
                    if (rule.has("alert") && alert.coveredBy(rule.path("expr").asText(""))) {
                        checks.pass();
                        return;
                    }
                }
            }
        }
        String mesh = cp.meshNamespace();
        ResourceRef ref = new ResourceRef(Monitors.API_VERSION, "PrometheusRule", mesh, NAME_PREFIX + alert.id());
        List<String> metrics = alert.metrics().stream().map(Alerts.Metric::name).toList();
        // The finding is about the unwatched istiod, where a reader (and a SARIF location) can find it; the remedy
        // creates the rule beside it.
        checks.fail(MISSING, Refs.of(cp.istiods().get(0)), null, "PrometheusRule " + ref.name()
                + " spec.groups[].rules[].expr", "an alert using " + String.join(" or ", metrics),
                "none in " + rules.size() + " PrometheusRule(s)" + ScrapeRule.labelsNote(p.monitorLabels()),
                "No alert fires when " + alert.failure() + " (" + alert.id() + ": no alert expression uses "
                        + String.join(", ", metrics) + ")",
                new Remedy(ref, Remedy.CREATE, body(ref, alert, p), false, "prometheus-operator loads it when its "
                        + "ruleSelector matches the labels " + ScrapeRule.labelsText(p.monitorLabels())
                        + "; the alerts need istiod scraped (monitoring-istiod-not-scraped)."));
    }

    static ObjectNode body(ResourceRef ref, Alerts alert, ControlPlaneMonitoringParameters p) {
        ObjectNode o = Monitors.metadata(Json.F.objectNode(), ref, p.monitorLabels());
        ObjectNode group = o.putObject("spec").putArray("groups").addObject();
        group.put("name", "meshwarden-istio-" + alert.id());
        for (Alerts.Rule r : alert.rules()) {
            ObjectNode rule = group.withArray("rules").addObject();
            rule.put("alert", r.alert()).put("expr", r.expr()).put("for", "10m");
            rule.putObject("labels").put("severity", "critical");
            rule.putObject("annotations").put("summary", r.summary());
        }
        return o;
    }
}

package io.meshwarden.policies.controlplanemonitoring;

import io.meshwarden.policy.Parameters;
import java.util.List;
import java.util.Map;

/**
 * @param scrape        {@code operator}: a prometheus-operator ServiceMonitor or PodMonitor must select each
 *                      component; {@code annotations}: the pods must carry {@code prometheus.io/scrape: "true"}
 * @param monitorLabels the labels the user's Prometheus selects monitors and rules by (its
 *                      {@code serviceMonitorSelector}, {@code podMonitorSelector}, {@code ruleSelector}); monitors
 *                      and rules without them are not loaded, so they do not count. Meshwarden's objects carry them
 * @param alerts        the failure classes that must have an alert rule ({@link Alerts})
 */
public record ControlPlaneMonitoringParameters(String scrape, Map<String, String> monitorLabels, List<String> alerts)
        implements Parameters {
    public static final String OPERATOR = "operator";
    public static final String ANNOTATIONS = "annotations";

    public ControlPlaneMonitoringParameters {
        monitorLabels = monitorLabels == null ? Map.of() : Map.copyOf(monitorLabels);
        alerts = alerts == null ? List.of() : List.copyOf(alerts);
    }
}

package io.meshwarden.policies.controlplanemonitoring;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.OperatorResource;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import java.util.Map;
import java.util.Optional;

/** Whether Prometheus scrapes istiod and each gateway, the way the policy says scraping is set up. */
final class ScrapeRule {
    static final RuleId ISTIOD = new RuleId("monitoring-istiod-not-scraped",
            "No ServiceMonitor/PodMonitor (or scrape annotation) makes Prometheus scrape istiod");
    static final RuleId GATEWAY = new RuleId("monitoring-gateway-not-scraped",
            "No PodMonitor/ServiceMonitor (or scrape annotation) makes Prometheus scrape a gateway");
    static final String SCRAPE = "prometheus.io/scrape";

    private ScrapeRule() {
    }

    static void check(Workload w, boolean istiod, ControlPlane cp, ControlPlaneMonitoringParameters p,
            ClusterSnapshot snapshot, Checks checks) {
        RuleId rule = istiod ? ISTIOD : GATEWAY;
        if (ControlPlaneMonitoringParameters.ANNOTATIONS.equals(p.scrape())) {
            String v = w.podAnnotations().get(SCRAPE);
            if ("true".equals(v)) {
                checks.pass();
                return;
            }
            ObjectNode annotations = Json.F.objectNode().put(SCRAPE, "true")
                    .put("prometheus.io/port", istiod ? "15014" : "15020")
                    .put("prometheus.io/path", istiod ? "/metrics" : "/stats/prometheus");
            checks.fail(rule, Refs.of(w), null, w.kind().templatePath() + ".metadata.annotations[\"" + SCRAPE + "\"]",
                    "\"true\"", v == null ? "unset" : "\"" + v + "\"", w.ref() + " lacks the pod annotation " + SCRAPE
                            + ": \"true\" that annotation-based Prometheus scraping looks for",
                    new Remedy(Refs.of(w), Remedy.PATCH, Json.nest(w.kind().templatePath() + ".metadata.annotations",
                            annotations), true, "Changing the pod template rolls the workload. Where a chart renders "
                                    + "it, set the annotations in its values too (podAnnotations) or the next "
                                    + "upgrade drops them."));
            return;
        }
        Optional<OperatorResource> m = Monitors.scraping(w, snapshot, p.monitorLabels());
        if (m.isPresent()) {
            checks.pass();
            return;
        }
        String mesh = cp.meshNamespace();
        ResourceRef ref;
        ObjectNode body;
        if (istiod) {
            ref = new ResourceRef(Monitors.API_VERSION, "ServiceMonitor", mesh, Monitors.ISTIOD_MONITOR);
            body = Monitors.istiodServiceMonitor(ref, cp.istiods(), p.monitorLabels());
        } else {
            ref = new ResourceRef(Monitors.API_VERSION, "PodMonitor", mesh,
                    Monitors.GATEWAY_MONITOR_PREFIX + w.namespace() + "-" + w.name());
            body = Monitors.gatewayPodMonitor(ref, w, p.monitorLabels());
        }
        checks.fail(rule, Refs.of(w), null, "ServiceMonitor/PodMonitor", "one selecting its pods"
                + labelsNote(p.monitorLabels()), "none", w.ref() + " is scraped by no ServiceMonitor or PodMonitor"
                        + labelsNote(p.monitorLabels()) + ": its " + (istiod ? "push, rejection and certificate"
                                : "traffic") + " metrics are never collected",
                new Remedy(ref, Remedy.CREATE, body, false, "prometheus-operator picks it up when its "
                        + "podMonitorSelector/serviceMonitorSelector matches the labels " + labelsText(p.monitorLabels())
                        + " and it watches namespace " + mesh + "."));
    }

    static String labelsNote(Map<String, String> labels) {
        return labels.isEmpty() ? "" : " with the labels " + labelsText(labels);
    }

    static String labelsText(Map<String, String> labels) {
        return labels.isEmpty() ? "{}" : Json.labels(labels).toString();
    }
}

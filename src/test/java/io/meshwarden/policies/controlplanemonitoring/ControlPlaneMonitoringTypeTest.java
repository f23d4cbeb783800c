package io.meshwarden.policies.controlplanemonitoring;

import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyValidationException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlPlaneMonitoringTypeTest {
    static final MeshPolicy SCRAPE_ONLY = policy("monitoring", "ControlPlaneMonitoring",
            "{monitorLabels: {release: prom}, alerts: []}");
    static final MeshPolicy DEFAULTS = policy("monitoring", "ControlPlaneMonitoring", "{}");

    static final String ISTIOD = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: istiod-canary, namespace: istio-system}
            spec:
              selector: {matchLabels: {app: istiod, istio.io/rev: canary}}
              template:
                metadata:
                  labels: {app: istiod, istio: pilot, istio.io/rev: canary}
                  annotations: {prometheus.io/port: "15014", prometheus.io/scrape: "true"}
                spec: {containers: [{name: discovery, image: istio/pilot:1.29.0}]}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: istiod-canary, namespace: istio-system, labels: {app: istiod, istio: pilot}}
            spec: {selector: {app: istiod, istio.io/rev: canary}, ports: [{name: http-monitoring, port: 15014}]}
            """;
    static final String GATEWAY = """
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: edge, namespace: edge}
            spec:
              selector: {matchLabels: {app: edge}}
              template:
                metadata:
                  labels: {app: edge, istio: edge-gateway, sidecar.istio.io/inject: "true"}
                  annotations: {inject.istio.io/templates: gateway}
                spec: {containers: [{name: istio-proxy, image: auto}]}
            """;

    static String monitor(String kind, String ns, String labels, String selector, String namespaceSelector) {
        return """
                ---
                apiVersion: monitoring.coreos.com/v1
                kind: %s
                metadata: {name: m-%s, namespace: %s, labels: %s}
                spec: {selector: %s%s}
                """.formatted(kind, kind.toLowerCase(), ns, labels, selector,
                namespaceSelector == null ? "" : ", namespaceSelector: " + namespaceSelector);
    }

    static String rules(String labels, String... rules) {
        StringBuilder b = new StringBuilder("""
                ---
                apiVersion: monitoring.coreos.com/v1
                kind: PrometheusRule
                metadata: {name: r, namespace: monitoring, labels: %s}
                spec:
                  groups:
                  - name: g
                    rules:
                """.formatted(labels));
        for (String r : rules) {
            b.append("    - ").append(r).append('\n');
        }
        return b.toString();
    }

    static RuleOutcome run(MeshPolicy p, ClusterSnapshot s) {
        return ControlPlaneMonitoringType.TYPE.evaluate(p, s);
    }

    @Test
    void unscrapedIstiodGetsAServiceMonitorWithThePolicyLabels() {
        RuleOutcome o = run(SCRAPE_ONLY, snapshot(ISTIOD));
        Finding f = only(o, "monitoring-istiod-not-scraped");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod-canary"), f.resource());
        Remedy r = f.remedy();
        assertEquals(Remedy.CREATE, r.action());
        assertFalse(r.restartsPods());
        assertEquals(new ResourceRef("monitoring.coreos.com/v1", "ServiceMonitor", "istio-system", "meshwarden-istiod"),
                r.target());
        assertEquals(json("""
                {"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor",
                 "metadata":{"name":"meshwarden-istiod","namespace":"istio-system",
                   "labels":{"app.kubernetes.io/managed-by":"meshwarden","release":"prom"}},
                 "spec":{"selector":{"matchLabels":{"istio":"pilot"}},
                   "namespaceSelector":{"matchNames":["istio-system"]},
                   "endpoints":[{"port":"http-monitoring","interval":"15s"}]}}
                """), r.patch());
    }

    @Test
    void serviceMonitorCountsThroughTheServiceItSelectsAndOnlyWithThePolicyLabels() {
        String sm = monitor("ServiceMonitor", "monitoring", "{release: prom}",
                "{matchExpressions: [{key: istio, operator: In, values: [pilot]}]}", "{any: true}");
        assertEquals(1, run(SCRAPE_ONLY, snapshot(ISTIOD + sm)).checks());
        assertTrue(run(SCRAPE_ONLY, snapshot(ISTIOD + sm)).findings().isEmpty());
        assertEquals(1, run(SCRAPE_ONLY, snapshot(ISTIOD + sm.replace("release: prom", "release: other")))
                .findings().size(), "a monitor Prometheus does not select does not count");
        String ownNamespaceOnly = monitor("ServiceMonitor", "monitoring", "{release: prom}",
                "{matchLabels: {istio: pilot}}", null);
        assertEquals(1, run(SCRAPE_ONLY, snapshot(ISTIOD + ownNamespaceOnly)).findings().size(),
                "without namespaceSelector a monitor looks in its own namespace only");
        String named = monitor("ServiceMonitor", "monitoring", "{release: prom}", "{matchLabels: {istio: pilot}}",
                "{matchNames: [istio-system]}");
        assertTrue(run(SCRAPE_ONLY, snapshot(ISTIOD + named)).findings().isEmpty());
        String noService = ISTIOD.substring(0, ISTIOD.indexOf("---"));
        assertEquals(1, run(SCRAPE_ONLY, snapshot(noService + sm)).findings().size(),
                "a ServiceMonitor needs a Service in front of the pods");
    }

    @Test
    void gatewayScrapedByPodMonitorElseOneOfOursPerGateway() {
        Finding f = only(run(SCRAPE_ONLY, snapshot(ISTIOD + GATEWAY)), "monitoring-gateway-not-scraped");
        assertEquals("Deployment edge/edge", f.resource().toString());
        assertEquals(new ResourceRef("monitoring.coreos.com/v1", "PodMonitor", "istio-system",
                "meshwarden-gateway-edge-edge"), f.remedy().target());
        assertEquals(json("""
                {"apiVersion":"monitoring.coreos.com/v1","kind":"PodMonitor",
                 "metadata":{"name":"meshwarden-gateway-edge-edge","namespace":"istio-system",
                   "labels":{"app.kubernetes.io/managed-by":"meshwarden","release":"prom"}},
                 "spec":{"selector":{"matchLabels":{"app":"edge"}},"namespaceSelector":{"matchNames":["edge"]},
                   "podMetricsEndpoints":[{"port":"http-envoy-prom","path":"/stats/prometheus","interval":"15s"}]}}
                """), f.remedy().patch());
        String envoyStats = monitor("PodMonitor", "istio-system", "{release: prom}",
                "{matchExpressions: [{key: istio-prometheus-ignore, operator: DoesNotExist}]}", "{any: true}");
        RuleOutcome o = run(SCRAPE_ONLY, snapshot(ISTIOD + GATEWAY + envoyStats));
        assertTrue(findings(o, "monitoring-gateway-not-scraped").isEmpty());
        assertTrue(findings(o, "monitoring-istiod-not-scraped").isEmpty(), "the PodMonitor selects istiod too");
    }

    @Test
    void annotationModeReadsThePodTemplate() {
        MeshPolicy annotations = policy("monitoring", "ControlPlaneMonitoring", "{scrape: annotations, alerts: []}");
        RuleOutcome o = run(annotations, snapshot(ISTIOD + GATEWAY));
        assertTrue(findings(o, "monitoring-istiod-not-scraped").isEmpty(), "the istiod chart sets the annotation");
        Finding gw = only(o, "monitoring-gateway-not-scraped");
        assertEquals(Remedy.PATCH, gw.remedy().action());
        assertTrue(gw.remedy().restartsPods());
        assertEquals("\"true\"", gw.remedy().patch().at("/spec/template/metadata/annotations/prometheus.io~1scrape")
                .toString());
        assertEquals("15020", gw.remedy().patch().at("/spec/template/metadata/annotations/prometheus.io~1port")
                .asText());
    }

    @Test
    void alertsMustUseTheMetricsInAnAlertingRule() {
        String sm = monitor("ServiceMonitor", "istio-system", "{release: prom}", "{matchLabels: {istio: pilot}}",
                null);
        MeshPolicy rejects = policy("monitoring", "ControlPlaneMonitoring",
                "{monitorLabels: {release: prom}, alerts: [xds-rejects, push-errors]}");
        RuleOutcome none = run(rejects, snapshot(ISTIOD + sm));
        assertEquals(List.of("meshwarden-istio-push-errors", "meshwarden-istio-xds-rejects"),
                findings(none, "monitoring-alert-missing").stream().map(f -> f.remedy().target().name()).sorted()
                        .toList());
        Finding f = findings(none, "monitoring-alert-missing").get(0);
        assertEquals("PrometheusRule", f.remedy().patch().path("kind").asText());
        assertEquals("prom", f.remedy().patch().at("/metadata/labels/release").asText());
        RuleOutcome recorded = run(rejects, snapshot(ISTIOD + sm + rules("{release: prom}",
                "{record: 'x:rejects', expr: 'sum(rate(pilot_total_xds_rejects[5m]))'}",
                "{alert: Pushes, expr: 'sum(rate(pilot_xds_pushes[5m])) == 0'}")));
        assertEquals(2, findings(recorded, "monitoring-alert-missing").size(),
                "a recording rule pages no one; pilot_xds_pushes without senderr watches traffic, not errors");
        RuleOutcome prefix = run(rejects, snapshot(ISTIOD + sm + rules("{release: prom}",
                "{alert: A, expr: 'sum(rate(pilot_total_xds_rejects_total[5m])) > 0'}")));
        assertEquals(2, findings(prefix, "monitoring-alert-missing").size(), "a longer name is another metric");
        RuleOutcome covered = run(rejects, snapshot(ISTIOD + sm + rules("{release: prom}",
                "{alert: A, expr: 'sum(rate(pilot_total_xds_rejects{app=\"istiod\"}[5m])) > 0'}",
                "{alert: B, expr: 'sum(rate(pilot_xds_pushes{type=~\".*_senderr\"}[5m])) > 0'}")));
        assertTrue(covered.findings().isEmpty(), covered.findings()::toString);
        RuleOutcome unselected = run(rejects, snapshot(ISTIOD + sm + rules("{team: x}",
                "{alert: A, expr: 'sum(rate(pilot_total_xds_rejects[5m])) > 0'}",
                "{alert: B, expr: 'sum(rate(pilot_total_xds_internal_errors[5m])) > 0'}")));
        assertEquals(2, findings(unselected, "monitoring-alert-missing").size(),
                "rules without the policy's labels are not loaded by that Prometheus");
    }

    @Test
    void everyAlertWeCreateSatisfiesItsOwnCheck() {
        String sm = monitor("ServiceMonitor", "istio-system", "{}", "{matchLabels: {istio: pilot}}", null);
        RuleOutcome before = run(DEFAULTS, snapshot(ISTIOD + sm));
        assertEquals(6, findings(before, "monitoring-alert-missing").size(), "all six classes by default");
        StringBuilder created = new StringBuilder();
        for (Finding f : findings(before, "monitoring-alert-missing")) {
            created.append("---\n").append(io.meshwarden.model.Json.toYaml(f.remedy().patch()));
        }
        RuleOutcome after = run(DEFAULTS, snapshot(ISTIOD + sm + created));
        assertTrue(after.findings().isEmpty(), after.findings()::toString);
        assertEquals(7, after.checks());
    }

    @Test
    void noIstiodNoAlertChecks() {
        assertEquals(0, run(DEFAULTS, snapshot(GATEWAY.substring(4))).findings().stream()
                .filter(f -> f.rule().equals("monitoring-alert-missing")).count());
    }

    @Test
    void unknownAlertClassIsRejected() {
        PolicyValidationException e = org.junit.jupiter.api.Assertions.assertThrows(PolicyValidationException.class,
                () -> policy("m", "ControlPlaneMonitoring", "{alerts: [disk-full]}"));
        assertTrue(e.getMessage().contains("alerts") && e.getMessage().contains("disk-full"), e.getMessage());
        assertThrowsOn("{scrape: kubelet}");
        assertThrowsOn("{monitorLabels: {'bad key!': x}}");
    }

    private static void assertThrowsOn(String parameters) {
        org.junit.jupiter.api.Assertions.assertThrows(PolicyValidationException.class,
                () -> policy("m", "ControlPlaneMonitoring", parameters));
    }
}

package io.meshwarden.policies.controlplanemonitoring;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The control-plane failures that must page someone, each with the istiod metrics that reveal it (names as
 * registered in istio/istio at both pinned versions; the source file is named with each) and the alert rules
 * Meshwarden creates when no rule uses them.
 */
enum Alerts {
    /** pilot/pkg/xds/monitoring.go ({@code pilot_xds_pushes}, type {@code *_senderr}); pkg/xds/monitoring.go. */
    PUSH_ERRORS("push-errors", "istiod fails to build or send configuration to proxies",
            List.of(new Metric("pilot_xds_pushes", "senderr"), new Metric("pilot_total_xds_internal_errors", null)),
            List.of(new Rule("IstiodXdsPushErrors", "sum(rate(pilot_xds_pushes{type=~\".*_senderr\"}[5m])) > 0",
                    "istiod fails to send xDS configuration to proxies"),
                    new Rule("IstiodXdsInternalErrors", "sum(rate(pilot_total_xds_internal_errors[5m])) > 0",
                            "istiod has internal xDS errors"))),
    /** pkg/xds/monitoring.go: {@code pilot_total_xds_rejects}, and the per-type gauges it replaced. */
    XDS_REJECTS("xds-rejects", "proxies reject the configuration istiod sends (NACK)",
            List.of(new Metric("pilot_total_xds_rejects", null), new Metric("pilot_xds_cds_reject", null),
                    new Metric("pilot_xds_eds_reject", null), new Metric("pilot_xds_lds_reject", null),
                    new Metric("pilot_xds_rds_reject", null)),
            List.of(new Rule("IstioProxiesRejectConfig", "sum(rate(pilot_total_xds_rejects[5m])) > 0",
                    "proxies reject configuration pushed by istiod"))),
    /** pilot/pkg/model/push_context.go. */
    LISTENER_CONFLICTS("listener-conflicts", "services conflict on a listener, so some traffic gets no route",
            List.of(new Metric("pilot_conflict_inbound_listener", null),
                    new Metric("pilot_conflict_outbound_listener_tcp_over_current_tcp", null)),
            List.of(new Rule("IstioListenerConflicts", "max(pilot_conflict_inbound_listener) > 0 or "
                    + "max(pilot_conflict_outbound_listener_tcp_over_current_tcp) > 0",
                    "conflicting listeners: some services are not reachable as configured"))),
    /** pkg/kube/inject/monitoring.go. */
    INJECTION_FAILURES("injection-failures", "the sidecar injection webhook fails, so pods start without a proxy "
            + "or not at all",
            List.of(new Metric("sidecar_injection_failure_total", null)),
            List.of(new Rule("IstioSidecarInjectionFailures", "sum(rate(sidecar_injection_failure_total[5m])) > 0",
                    "the sidecar injection webhook fails requests"))),
    /** pkg/webhooks/validation/server/monitoring.go. */
    VALIDATION_WEBHOOK("validation-webhook", "the configuration validation webhook errors or rejects configuration",
            List.of(new Metric("galley_validation_http_error", null), new Metric("galley_validation_failed", null)),
            List.of(new Rule("IstioValidationWebhookErrors", "sum(rate(galley_validation_http_error[5m])) > 0",
                    "the Istio validation webhook returns HTTP errors"))),
    /** security/pkg/server/ca/monitoring.go. */
    CERT_EXPIRY("cert-expiry", "the mesh's root certificate or istiod's CA chain expires, and with it every mTLS "
            + "connection",
            List.of(new Metric("citadel_server_root_cert_expiry_timestamp", null),
                    new Metric("citadel_server_root_cert_expiry_seconds", null),
                    new Metric("citadel_server_cert_chain_expiry_timestamp", null)),
            List.of(new Rule("IstioRootCertExpiresSoon",
                    "min(citadel_server_root_cert_expiry_timestamp) - time() < 30 * 24 * 3600",
                    "the mesh root certificate expires in less than 30 days"),
                    new Rule("IstioCertChainExpiresSoon",
                            "min(citadel_server_cert_chain_expiry_timestamp) - time() < 30 * 24 * 3600",
                            "istiod's CA certificate chain expires in less than 30 days")));

    /** @param mustAlsoContain a word the expression must hold too (a label value), or null */
    record Metric(String name, String mustAlsoContain) {
        boolean usedBy(String expr) {
            boolean named = Pattern.compile("(?<![A-Za-z0-9_:])" + Pattern.quote(name) + "(?![A-Za-z0-9_:])")
                    .matcher(expr).find();
            return named && (mustAlsoContain == null || expr.contains(mustAlsoContain));
        }
    }

    record Rule(String alert, String expr, String summary) {
    }

    private final String id;
    private final String failure;
    private final List<Metric> metrics;
    private final List<Rule> rules;

    Alerts(String id, String failure, List<Metric> metrics, List<Rule> rules) {
        this.id = id;
        this.failure = failure;
        this.metrics = metrics;
        this.rules = rules;
    }

    String id() {
        return id;
    }

    String failure() {
        return failure;
    }

    List<Metric> metrics() {
        return metrics;
    }

    List<Rule> rules() {
        return rules;
    }

    boolean coveredBy(String expr) {
        return metrics.stream().anyMatch(m -> m.usedBy(expr));
    }

    static List<String> ids() {
        return java.util.Arrays.stream(values()).map(Alerts::id).toList();
    }

    static Optional<Alerts> byId(String id) {
        return java.util.Arrays.stream(values()).filter(a -> a.id.equals(id)).findFirst();
    }
}

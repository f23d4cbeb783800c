package io.meshwarden.policies.headerremoval;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.meshConfig;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import org.junit.jupiter.api.Test;

class HeaderRemovalRuleTest {
    static final MeshPolicy DEFAULT = policy("headers", "HeaderRemoval", "{}");
    static final String GATEWAY = gateway("{}");

    static String gateway(String podAnnotations) {
        return deployment("istio-ingress", "istio-ingressgateway", 2, "{istio: ingressgateway, app: gw}",
                podAnnotations);
    }

    static String envoyFilter(String ns, String name, String selector, String patches) {
        return """
                ---
                apiVersion: networking.istio.io/v1alpha3
                kind: EnvoyFilter
                metadata: {name: %s, namespace: %s}
                spec:
                  %s
                  configPatches: %s
                """.formatted(name, ns, selector, patches);
    }

    static final String REMOVE_BOTH = """
            [{applyTo: ROUTE_CONFIGURATION, match: {context: GATEWAY},
              patch: {operation: MERGE, value: {response_headers_to_remove: [x-envoy-upstream-service-time,
                                                                            x-envoy-decorator-operation]}}}]""";
    static final String REMOVE_AND_DECORATOR = """
            [{applyTo: ROUTE_CONFIGURATION, match: {context: GATEWAY},
              patch: {operation: MERGE, value: {response_headers_to_remove: [X-Envoy-Upstream-Service-Time]}}},
             {applyTo: HTTP_ROUTE, match: {context: ANY},
              patch: {operation: MERGE, value: {decorator: {propagate: false}}}}]""";

    @Test
    void leakingGatewayGetsAnEnvoyFilter() {
        RuleOutcome o = HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY));
        Finding f = only(o, "headers-not-removed");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "istio-ingress", "istio-ingressgateway"), f.resource());
        assertEquals("leaking: x-envoy-upstream-service-time, x-envoy-decorator-operation", f.actual());
        Remedy r = f.remedy();
        assertEquals(Remedy.CREATE, r.action());
        assertFalse(r.restartsPods());
        assertEquals(new ResourceRef("networking.istio.io/v1alpha3", "EnvoyFilter", "istio-ingress",
                "meshwarden-strip-headers"), r.target());
        assertEquals(json("""
                {"apiVersion":"networking.istio.io/v1alpha3","kind":"EnvoyFilter",
                 "metadata":{"name":"meshwarden-strip-headers","namespace":"istio-ingress",
                             "labels":{"app.kubernetes.io/managed-by":"meshwarden"}},
                 "spec":{"workloadSelector":{"labels":{"istio":"ingressgateway"}},
                  "configPatches":[
                   {"applyTo":"ROUTE_CONFIGURATION","match":{"context":"GATEWAY"},
                    "patch":{"operation":"MERGE","value":{"response_headers_to_remove":["x-envoy-upstream-service-time"]}}},
                   {"applyTo":"HTTP_ROUTE","match":{"context":"GATEWAY"},
                    "patch":{"operation":"MERGE","value":{"decorator":{"propagate":false}}}}]}}
                """), r.patch());
    }

    @Test
    void meshConfigDebugHeadersOffIsCompliant() {
        RuleOutcome o = HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                meshConfig("defaultConfig:\n  proxyHeaders:\n    envoyDebugHeaders:\n      disabled: true")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
        assertEquals(1, o.checks());
    }

    @Test
    void debugHeadersSwitchDoesNotCoverOtherHeaders() {
        MeshPolicy server = policy("headers", "HeaderRemoval", "{headers: [server, x-envoy-upstream-service-time]}");
        Finding f = only(HeaderRemovalRule.evaluate(server, snapshot(GATEWAY,
                meshConfig("defaultConfig: {proxyHeaders: {envoyDebugHeaders: {disabled: true}}}"))),
                "headers-not-removed");
        assertEquals("leaking: server", f.actual());
    }

    @Test
    void gatewayAnnotationCountsAndOverridesMeshConfig() {
        String on = "{proxy.istio.io/config: \"proxyHeaders: {envoyDebugHeaders: {disabled: true}}\"}";
        assertTrue(HeaderRemovalRule.evaluate(DEFAULT, snapshot(gateway(on))).findings().isEmpty());
        String off = "{proxy.istio.io/config: '{\"proxyHeaders\": {\"envoyDebugHeaders\": {\"disabled\": false}}}'}";
        assertEquals(1, HeaderRemovalRule.evaluate(DEFAULT, snapshot(gateway(off),
                meshConfig("defaultConfig: {proxyHeaders: {envoyDebugHeaders: {disabled: true}}}"))).findings()
                .size());
    }

    @Test
    void responseHeadersToRemoveDoesNotRemoveTheDecoratorHeader() {
        Finding f = only(HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                envoyFilter("istio-ingress", "strip", "workloadSelector: {labels: {istio: ingressgateway}}",
                        REMOVE_BOTH))), "headers-not-removed");
        assertEquals("leaking: x-envoy-decorator-operation", f.actual());
        assertEquals(1, f.remedy().patch().path("spec").path("configPatches").size());
        assertEquals("HTTP_ROUTE", f.remedy().patch().at("/spec/configPatches/0/applyTo").asText());
    }

    @Test
    void rootNamespaceFilterWithRoutePatchIsCompliant() {
        RuleOutcome o = HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                envoyFilter("istio-system", "strip", "", REMOVE_AND_DECORATOR)));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
    }

    @Test
    void filtersThatDoNotReachTheGatewayDoNotCount() {
        assertEquals(1, HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                envoyFilter("istio-ingress", "strip", "workloadSelector: {labels: {istio: egressgateway}}",
                        REMOVE_AND_DECORATOR))).findings().size());
        assertEquals(1, HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                envoyFilter("apps", "strip", "", REMOVE_AND_DECORATOR))).findings().size(),
                "a filter in another application namespace");
        String sidecarOnly = REMOVE_AND_DECORATOR.replace("GATEWAY", "SIDECAR_INBOUND").replace("ANY",
                "SIDECAR_OUTBOUND");
        assertEquals(1, HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                envoyFilter("istio-ingress", "strip", "", sidecarOnly))).findings().size());
    }

    @Test
    void nonGatewaysAreIgnoredAndExemptionsApply() {
        RuleOutcome none = HeaderRemovalRule.evaluate(DEFAULT,
                snapshot(deployment("apps", "web", 2, "{app: web}", "{}")));
        assertEquals(0, none.checks());
        MeshPolicy exempt = policy("headers", "HeaderRemoval", "{}",
                "exemptions: [{namespace: istio-ingress}]");
        assertTrue(HeaderRemovalRule.evaluate(exempt, snapshot(GATEWAY)).findings().isEmpty());
        assertTrue(HeaderRemovalRule.evaluate(DEFAULT, snapshot(GATEWAY,
                namespace("istio-ingress", "{}", "{meshwarden.io/exempt: headers}"))).findings().isEmpty());
        String annotated = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: gw, namespace: istio-ingress, annotations: {meshwarden.io/exempt: "*"}}
                spec:
                  template: {metadata: {labels: {istio: ingressgateway}}}
                """;
        assertTrue(HeaderRemovalRule.evaluate(DEFAULT, snapshot(annotated)).findings().isEmpty());
    }
}

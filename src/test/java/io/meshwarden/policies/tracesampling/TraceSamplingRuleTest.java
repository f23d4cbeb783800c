package io.meshwarden.policies.tracesampling;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.meshConfig;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.Fixtures;
import org.junit.jupiter.api.Test;

class TraceSamplingRuleTest {
    static final String APPS = namespace("apps", "{istio-injection: enabled}");
    static final MeshPolicy MAX10 = policy("tracing", "TraceSampling", "{maxPercent: 10}");
    static final String WEB = deployment("apps", "web", 2, "{app: web}", "{}");

    static String telemetry(String ns, String name, String selector, String rate) {
        return """
                ---
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: %s, namespace: %s}
                spec:
                  %s
                  tracing: [{providers: [{name: otel}], randomSamplingPercentage: %s}]
                """.formatted(name, ns, selector, rate);
    }

    @Test
    void telemetryPrecedenceWorkloadOverNamespaceOverRoot() {
        String root = telemetry("istio-system", "mesh-default", "", "50");
        String ns = telemetry("apps", "ns", "", "20");
        String wl = telemetry("apps", "web", "selector: {matchLabels: {app: web}}", "5");
        String other = telemetry("apps", "other", "selector: {matchLabels: {app: other}}", "90");

        RuleOutcome all = TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB, root, ns, wl, other));
        assertTrue(all.findings().isEmpty(), all.findings()::toString);
        assertEquals(1, all.checks());

        Finding f = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB, root, ns, other)),
                "trace-sampling-too-high");
        assertEquals("20", f.actual());
        assertEquals("spec.tracing[0].randomSamplingPercentage", f.path());
        assertEquals(new ResourceRef("telemetry.istio.io/v1", "Telemetry", "apps", "ns"), f.remedy().target());
        assertEquals(json("{\"spec\":{\"tracing\":[{\"providers\":[{\"name\":\"otel\"}],"
                + "\"randomSamplingPercentage\":10}]}}"), f.remedy().patch());
        assertFalse(f.remedy().restartsPods());

        Finding r = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB, root)),
                "trace-sampling-too-high");
        assertEquals("istio-system", r.remedy().target().namespace());
        assertTrue(r.remedy().note().contains("whole mesh"));
    }

    @Test
    void telemetryBeatsAnnotationAndMeshConfig() {
        String annotated = deployment("apps", "web", 2, "{app: web}",
                "{proxy.istio.io/config: \"tracing: {sampling: 100}\"}");
        RuleOutcome o = TraceSamplingRule.evaluate(MAX10, snapshot(APPS, annotated,
                telemetry("istio-system", "mesh-default", "", "1"),
                meshConfig("defaultConfig: {tracing: {sampling: 100}}")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
    }

    @Test
    void podAnnotationIsPatchedAndRestartsPods() {
        String annotated = deployment("apps", "web", 2, "{app: web}",
                "{proxy.istio.io/config: \"holdApplicationUntilProxyStarts: true\\ntracing: {sampling: 30}\"}");
        Finding f = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, annotated,
                meshConfig("defaultConfig: {tracing: {sampling: 1}}"))), "trace-sampling-too-high");
        assertEquals("30", f.actual());
        assertTrue(f.path().contains("proxy.istio.io/config"), f.path());
        assertTrue(f.remedy().restartsPods());
        String yaml = f.remedy().patch().at("/spec/template/metadata/annotations/proxy.istio.io~1config").asText();
        JsonNode config = Json.parseYaml(yaml);
        assertEquals(10, config.at("/tracing/sampling").asInt());
        assertTrue(config.path("holdApplicationUntilProxyStarts").asBoolean(), "other keys are kept");
    }

    @Test
    void meshConfigIsFixedThroughIstiodValuesWhenHelmManagesIt() {
        Finding f = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB,
                meshConfig("defaultConfig: {tracing: {sampling: 100}}"), istiod("1.26.0", "{}"))),
                "trace-sampling-too-high");
        assertEquals("defaultConfig.tracing.sampling", f.path());
        assertEquals(Remedy.VALUES_OVERLAY, f.remedy().action());
        assertEquals(json("{\"meshConfig\":{\"defaultConfig\":{\"tracing\":{\"sampling\":10}}}}"),
                f.remedy().patch());

        Finding cm = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB,
                meshConfig("defaultConfig: {tracing: {sampling: 100}}"))), "trace-sampling-too-high");
        assertEquals(new ResourceRef("v1", "ConfigMap", "istio-system", "istio"), cm.remedy().target());
        assertTrue(cm.remedy().patch().at("/data/mesh").asText().contains("sampling: 10"));
    }

    @Test
    void istiodValuesPilotAndTopLevelAlias() {
        Finding f = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB,
                istiod("1.26.0", "{pilot: {traceSampling: 50}}"))), "trace-sampling-too-high");
        assertEquals("pilot.traceSampling", f.path());
        assertEquals(json("{\"pilot\":{\"traceSampling\":10}}"), f.remedy().patch());
        assertEquals(new HelmRef("istio-system", "istiod", 1), f.helmRelease());

        String topLevel = Fixtures.helmRelease("istio-system", "istiod", "istiod", "1.26.0",
                "{_internal_defaults_do_not_set: {traceSampling: 1.0}}", "{traceSampling: 40}");
        Finding g = only(TraceSamplingRule.evaluate(MAX10, snapshot(APPS, WEB, topLevel)),
                "trace-sampling-too-high");
        assertEquals("traceSampling", g.path());
        assertEquals(json("{\"traceSampling\":10}"), g.remedy().patch());
    }

    @Test
    void istioDefaultIsOnePercent() {
        assertTrue(TraceSamplingRule.evaluate(policy("tracing", "TraceSampling", "{maxPercent: 1}"),
                snapshot(APPS, WEB)).findings().isEmpty());
        Finding f = only(TraceSamplingRule.evaluate(policy("tracing", "TraceSampling", "{maxPercent: 0.5}"),
                snapshot(APPS, WEB)), "trace-sampling-too-high");
        assertEquals("1", f.actual());
        assertEquals(Remedy.CREATE, f.remedy().action());
        assertEquals("Telemetry", f.remedy().target().kind());
    }

    @Test
    void exemptAndUninjectedWorkloadsAreSkipped() {
        String hot = telemetry("istio-system", "mesh-default", "", "100");
        assertEquals(0, TraceSamplingRule.evaluate(MAX10, snapshot(namespace("apps", "{}"), WEB, hot)).checks());
        assertTrue(TraceSamplingRule.evaluate(MAX10, snapshot(namespace("apps", "{istio-injection: enabled}",
                "{meshwarden.io/exempt: \"tracing\"}"), WEB, hot)).findings().isEmpty());
        MeshPolicy exempt = policy("tracing", "TraceSampling", "{maxPercent: 10}",
                "exemptions: [{namespace: apps, kind: Deployment, name: web}]");
        assertTrue(TraceSamplingRule.evaluate(exempt, snapshot(APPS, WEB, hot)).findings().isEmpty());
        MeshPolicy selector = policy("tracing", "TraceSampling", "{maxPercent: 10}",
                "target: {selector: {matchLabels: {app: api}}}");
        assertEquals(0, TraceSamplingRule.evaluate(selector, snapshot(APPS, WEB, hot)).checks());
    }
}

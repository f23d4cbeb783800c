package io.meshwarden.policies.proxysizing;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.HelmRef;
import io.meshwarden.policy.MeshPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxySizingRuleTest {
    static final String APPS = namespace("apps", "{istio-injection: enabled}");
    static final MeshPolicy SMALL = policy("sizing", "ProxySizing",
            "{requests: {cpu: 100m, memory: 128Mi}, tolerance: 10}");
    static final MeshPolicy WITH_LIMITS = policy("sizing", "ProxySizing",
            "{requests: {cpu: 200m, memory: 256Mi}, limits: {cpu: '1', memory: 1Gi}}");

    static String web(Integer replicas, String podAnnotations) {
        return deployment("apps", "web", replicas, "{app: web}", podAnnotations);
    }

    @Test
    void helmGlobalProxyResourcesWithinTolerance() {
        RuleOutcome o = ProxySizingRule.evaluate(SMALL, snapshot(APPS, web(2, "{}"),
                istiod("1.26.0", "{global: {proxy: {resources: {requests: {cpu: 105m}}}}}")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
        assertEquals(1, o.checks());
    }

    @Test
    void helmGlobalProxyResourcesOutsideTolerance() {
        Finding f = only(ProxySizingRule.evaluate(SMALL, snapshot(APPS, web(2, "{}"),
                istiod("1.26.0", "{global: {proxy: {resources: {requests: {cpu: 150m}}}}}"))),
                "proxy-sizing-deviates");
        assertEquals("global.proxy.resources", f.path());
        assertEquals(new HelmRef("istio-system", "istiod", 1), f.helmRelease());
        assertTrue(f.message().contains("requests.cpu is 150m, expected 100m"), f.message());
        assertEquals(Remedy.PATCH, f.remedy().action());
        assertTrue(f.remedy().restartsPods());
        assertEquals(json("""
                {"spec":{"template":{"metadata":{"annotations":{
                  "sidecar.istio.io/proxyCPU":"100m","sidecar.istio.io/proxyMemory":"128Mi",
                  "sidecar.istio.io/proxyCPULimit":"2000m","sidecar.istio.io/proxyMemoryLimit":"1024Mi"}}}}}
                """), f.remedy().patch(), "limits kept from the effective ones when the policy has none");
    }

    @Test
    void annotationsAloneDecideAndGlobalResourcesAreIgnored() {
        // proxyCPU alone: the injector leaves memory unset even though global.proxy.resources has 128Mi.
        Finding f = only(ProxySizingRule.evaluate(SMALL, snapshot(APPS,
                web(1, "{sidecar.istio.io/proxyCPU: 100m}"), istiod("1.26.0", "{}"))), "proxy-sizing-deviates");
        assertEquals("spec.template.metadata.annotations", f.path());
        assertTrue(f.message().contains("requests.memory is unset"), f.message());
        assertEquals("requests cpu=100m memory=unset", f.actual());
        // No limits now and none in the policy: nothing to invent.
        assertEquals(json("""
                {"spec":{"template":{"metadata":{"annotations":{
                  "sidecar.istio.io/proxyCPU":"100m","sidecar.istio.io/proxyMemory":"128Mi"}}}}}
                """), f.remedy().patch());

        Finding g = only(ProxySizingRule.evaluate(WITH_LIMITS, snapshot(APPS,
                web(1, "{sidecar.istio.io/proxyMemory: 256Mi}"), istiod("1.26.0", "{}"))),
                "proxy-sizing-deviates");
        assertEquals(json("""
                {"spec":{"template":{"metadata":{"annotations":{
                  "sidecar.istio.io/proxyCPU":"200m","sidecar.istio.io/proxyMemory":"256Mi",
                  "sidecar.istio.io/proxyCPULimit":"1","sidecar.istio.io/proxyMemoryLimit":"1Gi"}}}}}
                """), g.remedy().patch(), "all four annotations, limits from the policy");
    }

    @Test
    void allFourAnnotationsMatchingIsCompliant() {
        String all = "{sidecar.istio.io/proxyCPU: 200m, sidecar.istio.io/proxyMemory: 256Mi, "
                + "sidecar.istio.io/proxyCPULimit: 1000m, sidecar.istio.io/proxyMemoryLimit: 1024Mi}";
        RuleOutcome o = ProxySizingRule.evaluate(WITH_LIMITS, snapshot(APPS, web(1, all)));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
    }

    @Test
    void istioDefaultsWhenNothingIsKnown() {
        Finding f = only(ProxySizingRule.evaluate(WITH_LIMITS, snapshot(APPS, web(1, "{}"))),
                "proxy-sizing-deviates");
        assertEquals("global.proxy.resources (Istio defaults)", f.path());
        assertEquals("requests cpu=100m memory=128Mi, limits cpu=2000m memory=1024Mi", f.actual());
        assertTrue(ProxySizingRule.evaluate(SMALL, snapshot(APPS, web(1, "{}"))).findings().isEmpty());
    }

    @Test
    void keptLimitIsRaisedToTheNewRequest() {
        MeshPolicy big = policy("sizing", "ProxySizing", "{requests: {cpu: '3', memory: 2Gi}}");
        Finding f = only(ProxySizingRule.evaluate(big, snapshot(APPS, web(1, "{}"))), "proxy-sizing-deviates");
        assertEquals("3", f.remedy().patch().at("/spec/template/metadata/annotations/sidecar.istio.io~1proxyCPULimit")
                .asText());
        assertEquals("2Gi", f.remedy().patch()
                .at("/spec/template/metadata/annotations/sidecar.istio.io~1proxyMemoryLimit").asText());
    }

    @Test
    void uninjectedJobsAndExemptWorkloadsAreSkipped() {
        RuleOutcome o = ProxySizingRule.evaluate(WITH_LIMITS, snapshot(namespace("apps", "{}"), web(1, "{}")));
        assertEquals(0, o.checks());
        String job = """
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: j, namespace: apps}
                spec: {template: {metadata: {labels: {a: b}}}}
                """;
        assertEquals(0, ProxySizingRule.evaluate(WITH_LIMITS, snapshot(APPS, job)).checks());
        MeshPolicy exempt = policy("sizing", "ProxySizing", "{requests: {cpu: 1m, memory: 1Mi}}",
                "exemptions: [{name: web}]");
        assertEquals(0, ProxySizingRule.evaluate(exempt, snapshot(APPS, web(1, "{}"))).checks());
        assertEquals(1, ProxySizingRule.evaluate(WITH_LIMITS, snapshot(APPS,
                web(1, "{meshwarden.io/exempt: sizing}"))).checks(), "pod annotations are not object annotations");
    }

    @Test
    void costCountsReplicas() {
        String api = deployment("apps", "api", null, "{app: api}", "{}");
        CostSummary c = ProxySizingRule.cost(List.of(WITH_LIMITS), snapshot(APPS, web(3, "{}"), api));
        assertEquals(2, c.workloads());
        assertEquals(400, c.currentCpuMillis(), "100m x 3 + 100m x 1");
        assertEquals(4L * 128 * 1024 * 1024, c.currentMemoryBytes());
        CostSummary.PolicyCost p = c.perPolicy().get(0);
        assertEquals("sizing", p.policy());
        assertEquals(2, p.coveredWorkloads());
        assertEquals(800, p.cpuMillis());
        assertEquals(4L * 256 * 1024 * 1024, p.memoryBytes());
    }

    @Test
    void sailValuesFallBackToChartDefaultsPerField() {
        String sail = """
                ---
                apiVersion: sailoperator.io/v1
                kind: Istio
                metadata: {name: default}
                spec:
                  version: v1.27.0
                  values: {global: {proxy: {resources: {requests: {cpu: 300m}}}}}
                """;
        Finding f = only(ProxySizingRule.evaluate(SMALL, snapshot(APPS, web(1, "{}"), sail)),
                "proxy-sizing-deviates");
        assertEquals("spec.values.global.proxy.resources", f.path());
        assertEquals("requests cpu=300m memory=128Mi, limits cpu=2000m memory=1024Mi", f.actual());
    }

    static final String SMALL_CPU = "300m";
    static final String SMALL_MEMORY = "256Mi";
    static final MeshPolicy SIZED = policy("sizing", "ProxySizing",
            "{requests: {cpu: " + SMALL_CPU + ", memory: " + SMALL_MEMORY + "}}");

    static String gateway(String annotations, String containerResources) {
        return """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: istio-ingressgateway
                  namespace: apps
                  annotations: %s
                spec:
                  replicas: 2
                  template:
                    metadata:
                      labels: {istio: ingressgateway, sidecar.istio.io/inject: "true"}
                      annotations: {inject.istio.io/templates: gateway, sidecar.istio.io/proxyCPU: 300m,
                                    sidecar.istio.io/proxyMemory: 256Mi}
                    spec:
                      containers:
                      - {name: istio-proxy, image: auto, resources: %s}
                """.formatted(annotations, containerResources);
    }

    @Test
    void aGatewayIsSizedByItsContainerNotByAnnotations() {
        // The annotations match the policy exactly; the chart's container requests what the gateway really gets.
        Finding f = only(ProxySizingRule.evaluate(SIZED, snapshot(APPS, gateway("{}",
                "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 2000m, memory: 1024Mi}}"))),
                "proxy-sizing-deviates");
        assertTrue(f.message().contains("requests.cpu is 100m"), f.message());
        assertEquals(Remedy.NONE, f.remedy().action(), "a merge patch would replace the container list");
        assertTrue(f.remedy().note().contains("--type strategic"), f.remedy().note());
        assertTrue(f.remedy().note().contains("\"name\":\"istio-proxy\""), f.remedy().note());
    }

    @Test
    void aHelmManagedGatewayIsFixedThroughItsReleaseResources() {
        String release = io.meshwarden.testing.Fixtures.helmRelease("apps", "istio-ingressgateway", "gateway",
                "1.26.3", "{resources: {requests: {cpu: 100m, memory: 128Mi}}}", "{}");
        Finding f = only(ProxySizingRule.evaluate(SIZED, snapshot(APPS, release, gateway(
                "{meta.helm.sh/release-name: istio-ingressgateway, meta.helm.sh/release-namespace: apps}",
                "{requests: {cpu: 100m, memory: 128Mi}}"))), "proxy-sizing-deviates");
        assertEquals(Remedy.VALUES_OVERLAY, f.remedy().action());
        assertEquals("istio-ingressgateway", f.remedy().target().name());
        assertEquals(SMALL_CPU, f.remedy().patch().at("/resources/requests/cpu").asText());
        assertTrue(f.remedy().restartsPods());
    }

    @Test
    void aDeclaredContainerOverridesCompliantAnnotations() {
        String web = """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: apps}
                spec:
                  replicas: 1
                  template:
                    metadata:
                      labels: {app: web}
                      annotations: {sidecar.istio.io/proxyCPU: %s, sidecar.istio.io/proxyMemory: %s}
                    spec:
                      containers:
                      - {name: web, image: web}
                      - {name: istio-proxy, image: auto, resources: {requests: {cpu: 500m}}}
                """.formatted(SMALL_CPU, SMALL_MEMORY);
        Finding f = only(ProxySizingRule.evaluate(SIZED, snapshot(APPS, web)), "proxy-sizing-deviates");
        assertTrue(f.message().contains("requests.cpu is 500m"), f.message());
        assertFalse(f.message().contains("requests.memory"), "memory comes from the compliant annotation");
    }
}

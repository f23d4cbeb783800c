package io.meshwarden.report.policyreport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Summary;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.haminimum.HaMinimumType;
import io.meshwarden.policies.headerremoval.HeaderRemovalType;
import io.meshwarden.policies.proxysizing.ProxySizingType;
import io.meshwarden.policies.tracesampling.TraceSamplingType;
import io.meshwarden.policy.PolicyType;
import io.meshwarden.policy.Severity;
import io.meshwarden.report.PolicyReports;
import io.meshwarden.report.Report;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PolicyReportsTest {
    private static final Instant AT = Instant.parse("2026-11-24T12:00:00.123456789Z");

    private ReportMockCluster cluster;

    @BeforeEach
    void start() {
        cluster = new ReportMockCluster();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void findingsInTwoNamespacesGiveTwoPolicyReportsAndAClusterReport() {
        cluster.wgPolicyCrds();
        Finding hpa = finding("ha", HaMinimumType.TYPE, "ha-hpa-min-replicas", Severity.WARNING,
                new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", "shop", "cart"));
        Finding replicas = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "cart"));
        Finding helm = new Finding("sizing", ProxySizingType.TYPE, "proxy-cpu-request", Severity.WARNING,
                ResourceRef.helmRelease("shop", "cart"), new HelmRef("shop", "cart", 7),
                "global.proxy.resources.requests.cpu", "100m", "10m", "sidecar CPU request too low", null);
        Finding pay = finding("trace", TraceSamplingType.TYPE, "trace-sampling-max", Severity.WARNING,
                new ResourceRef("apps/v1", "Deployment", "payments", "api"));
        Finding istio = finding("header", HeaderRemovalType.TYPE, "header-server-removed", Severity.DANGER,
                new ResourceRef("sailoperator.io/v1", "Istio", null, "default"));

        PolicyReports.Result result = new PolicyReports(cluster.client)
                .write(report(hpa, replicas, helm, pay, istio));

        assertEquals(List.of("PolicyReport payments/meshwarden", "PolicyReport shop/meshwarden",
                "ClusterPolicyReport meshwarden"), result.written());
        assertEquals(List.of(), result.unserved());
        assertEquals(List.of(), result.deleted());
        assertEquals(Map.of(), result.truncated());
        assertEquals(Map.of(), result.failed());
        assertEquals(2, cluster.allPolicyReports().size());

        GenericKubernetesResource shop = cluster.policyReport("shop", "meshwarden");
        assertNotNull(shop);
        assertEquals("wgpolicyk8s.io/v1alpha2", shop.getApiVersion());
        assertEquals("PolicyReport", shop.getKind());
        assertEquals("meshwarden", shop.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
        assertTrue(shop.getMetadata().getAnnotations() == null
                || !shop.getMetadata().getAnnotations().containsKey(PolicyReports.TRUNCATED));
        assertEquals(summary(0, 1, 2), shop.getAdditionalProperties().get("summary"));
        List<Map<String, Object>> results = results(shop);
        assertEquals(3, results.size());
        // Danger first, then report order (policy "ha" before "sizing").
        assertEquals(List.of("ha-replicas", "ha-hpa-min-replicas", "proxy-cpu-request"),
                results.stream().map(r -> r.get("rule")).toList());

        Map<String, Object> first = results.get(0);
        assertEquals("ha", first.get("policy"));
        assertEquals("HaMinimum", first.get("category"));
        assertEquals("high", first.get("severity"));
        assertEquals("fail", first.get("result"));
        assertEquals("ha-replicas is wrong", first.get("message"));
        assertEquals("meshwarden", first.get("source"));
        assertEquals(Map.of("seconds", AT.getEpochSecond(), "nanos", (long) AT.getNano()),
                numbersAsLong(first.get("timestamp")));
        assertEquals(List.of(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "namespace", "shop",
                "name", "cart")), first.get("resources"));
        assertEquals(Map.of("path", "spec.x", "expected", "2", "actual", "1"), first.get("properties"));

        Map<String, Object> helmResult = results.get(2);
        assertEquals("medium", helmResult.get("severity"));
        assertEquals("warn", helmResult.get("result"));
        assertEquals("ProxySizing", helmResult.get("category"));
        assertEquals(List.of(Map.of("apiVersion", "helm.sh/v3", "kind", "HelmRelease", "namespace", "shop",
                "name", "cart")), helmResult.get("resources"));
        assertEquals(Map.of("path", "global.proxy.resources.requests.cpu", "expected", "100m", "actual", "10m",
                "helmRelease", "shop/cart@7"), helmResult.get("properties"));

        GenericKubernetesResource payments = cluster.policyReport("payments", "meshwarden");
        assertEquals(summary(0, 0, 1), payments.getAdditionalProperties().get("summary"));
        assertEquals(List.of("trace-sampling-max"), results(payments).stream().map(r -> r.get("rule")).toList());

        GenericKubernetesResource clusterReport = cluster.clusterPolicyReport("meshwarden");
        assertNotNull(clusterReport);
        assertEquals("ClusterPolicyReport", clusterReport.getKind());
        assertEquals("meshwarden", clusterReport.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
        assertEquals(summary(0, 1, 0), clusterReport.getAdditionalProperties().get("summary"));
        List<Map<String, Object>> clusterResults = results(clusterReport);
        assertEquals(1, clusterResults.size());
        assertEquals(List.of(Map.of("apiVersion", "sailoperator.io/v1", "kind", "Istio", "name", "default")),
                clusterResults.get(0).get("resources"));
    }

    @Test
    void secondWriteWithFewerFindingsUpdatesAndDeletesStaleReports() {
        cluster.wgPolicyCrds();
        Finding shopA = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "a"));
        Finding shopB = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "b"));
        Finding pay = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.WARNING,
                new ResourceRef("apps/v1", "Deployment", "payments", "api"));
        Finding istio = finding("header", HeaderRemovalType.TYPE, "header-server-removed", Severity.DANGER,
                new ResourceRef("sailoperator.io/v1", "Istio", null, "default"));
        PolicyReports reports = new PolicyReports(cluster.client);
        reports.write(report(shopA, shopB, pay, istio));
        String before = cluster.policyReport("shop", "meshwarden").getMetadata().getResourceVersion();

        PolicyReports.Result result = reports.write(report(shopB));

        assertEquals(List.of("PolicyReport shop/meshwarden"), result.written());
        assertEquals(List.of("PolicyReport payments/meshwarden", "ClusterPolicyReport meshwarden"),
                result.deleted());
        assertEquals(Map.of(), result.failed());
        GenericKubernetesResource shop = cluster.policyReport("shop", "meshwarden");
        assertNotEquals(before, shop.getMetadata().getResourceVersion());
        assertEquals(summary(0, 1, 0), shop.getAdditionalProperties().get("summary"));
        List<Map<String, Object>> results = results(shop);
        assertEquals(1, results.size());
        assertEquals(List.of(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "namespace", "shop",
                "name", "b")), results.get(0).get("resources"));
        assertNull(cluster.policyReport("payments", "meshwarden"));
        assertNull(cluster.clusterPolicyReport("meshwarden"));

        // Nothing left: everything of ours goes, and a third write with nothing to do writes nothing.
        PolicyReports.Result empty = reports.write(report());
        assertEquals(List.of("PolicyReport shop/meshwarden"), empty.deleted());
        assertTrue(cluster.allPolicyReports().isEmpty());
        cluster.clearWrites();
        PolicyReports.Result idle = reports.write(report());
        assertEquals(List.of(), idle.written());
        assertEquals(List.of(), idle.deleted());
        assertEquals(List.of(), cluster.writes());
    }

    @Test
    void foreignReportsAreLeftUntouched() {
        cluster.wgPolicyCrds();
        GenericKubernetesResource kyverno = cluster.client.genericKubernetesResources(
                ReportMockCluster.POLICY_REPORTS).inNamespace("shop").resource(foreign("shop", "kyverno-pol",
                        Map.of("app.kubernetes.io/managed-by", "kyverno"))).create();
        // Same name as ours but not labelled ours: someone else's, so neither replaced nor deleted.
        GenericKubernetesResource squatter = cluster.client.genericKubernetesResources(
                ReportMockCluster.POLICY_REPORTS).inNamespace("payments").resource(foreign("payments",
                        "meshwarden", Map.of())).create();
        GenericKubernetesResource clusterForeign = cluster.client.genericKubernetesResources(
                ReportMockCluster.CLUSTER_POLICY_REPORTS).resource(foreign(null, "meshwarden",
                        Map.of("app.kubernetes.io/managed-by", "someone-else"))).create();
        cluster.clearWrites();

        PolicyReports reports = new PolicyReports(cluster.client);
        PolicyReports.Result result = reports.write(report(
                finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                        new ResourceRef("apps/v1", "Deployment", "shop", "cart")),
                finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                        new ResourceRef("apps/v1", "Deployment", "payments", "api")),
                finding("header", HeaderRemovalType.TYPE, "header-server-removed", Severity.DANGER,
                        new ResourceRef("sailoperator.io/v1", "Istio", null, "default"))));

        assertEquals(List.of("PolicyReport shop/meshwarden"), result.written());
        assertEquals(List.of("PolicyReport payments/meshwarden", "ClusterPolicyReport meshwarden"),
                result.foreign());
        assertTrue(result.notes().stream().anyMatch(n -> n.contains("payments/meshwarden")
                && n.contains("left untouched")), result.notes().toString());
        assertEquals(List.of("POST /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports"),
                cluster.writes());

        // With no findings at all, only our own report goes.
        cluster.clearWrites();
        PolicyReports.Result cleared = reports.write(report());
        assertEquals(List.of("PolicyReport shop/meshwarden"), cleared.deleted());
        assertEquals(List.of("DELETE /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/meshwarden"),
                cluster.writes());
        assertEquals(kyverno.getMetadata().getResourceVersion(),
                cluster.policyReport("shop", "kyverno-pol").getMetadata().getResourceVersion());
        assertEquals(squatter.getMetadata().getResourceVersion(),
                cluster.policyReport("payments", "meshwarden").getMetadata().getResourceVersion());
        assertEquals(clusterForeign.getMetadata().getResourceVersion(),
                cluster.clusterPolicyReport("meshwarden").getMetadata().getResourceVersion());
        assertNull(cluster.policyReport("shop", "meshwarden"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void capKeepsDangerFirstAndAnnotatesTheTruncation() {
        cluster.wgPolicyCrds();
        List<Finding> findings = new ArrayList<>();
        for (String name : List.of("a", "b", "c", "d")) {
            findings.add(finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.WARNING,
                    new ResourceRef("apps/v1", "Deployment", "shop", name)));
        }
        findings.add(finding("trace", TraceSamplingType.TYPE, "trace-sampling-max", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "y")));
        findings.add(finding("trace", TraceSamplingType.TYPE, "trace-sampling-max", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "x")));
        PolicyReports reports = new PolicyReports(cluster.client, 3);

        PolicyReports.Result result = reports.write(report(findings.toArray(new Finding[0])));

        assertEquals(Map.of("PolicyReport shop/meshwarden", "3 of 6"), result.truncated());
        assertTrue(result.notes().stream().anyMatch(n -> n.contains("truncated") && n.contains("3 of 6")),
                result.notes().toString());
        GenericKubernetesResource shop = cluster.policyReport("shop", "meshwarden");
        assertEquals("3 of 6", shop.getMetadata().getAnnotations().get(PolicyReports.TRUNCATED));
        // The summary keeps the true totals; only results are capped.
        assertEquals(summary(0, 2, 4), shop.getAdditionalProperties().get("summary"));
        List<Map<String, Object>> results = results(shop);
        assertEquals(List.of("x", "y", "a"), results.stream()
                .map(r -> ((List<Map<String, Object>>) r.get("resources")).get(0).get("name")).toList());
        assertEquals(List.of("fail", "fail", "warn"), results.stream().map(r -> r.get("result")).toList());

        // Back under the cap: the replaced report loses the annotation.
        PolicyReports.Result under = reports.write(report(findings.get(0), findings.get(4)));
        assertEquals(Map.of(), under.truncated());
        GenericKubernetesResource after = cluster.policyReport("shop", "meshwarden");
        assertTrue(after.getMetadata().getAnnotations() == null
                || !after.getMetadata().getAnnotations().containsKey(PolicyReports.TRUNCATED));
        assertEquals(2, results(after).size());
    }

    @Test
    @SuppressWarnings("unchecked")
    void longPropertiesAreClipped() {
        cluster.wgPolicyCrds();
        String huge = "x".repeat(5000);
        Finding f = new Finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "cart"), null, "spec", huge, "1", "m", null);
        new PolicyReports(cluster.client).write(report(f));
        Map<String, Object> props = (Map<String, Object>) results(cluster.policyReport("shop", "meshwarden"))
                .get(0).get("properties");
        assertEquals(1024, ((String) props.get("expected")).length());
        assertEquals("1", props.get("actual"));
    }

    @Test
    void withoutTheCrdsNothingIsWrittenAndTheResultSaysWhy() {
        cluster.clearWrites();
        PolicyReports.Result result = new PolicyReports(cluster.client).write(report(
                finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                        new ResourceRef("apps/v1", "Deployment", "shop", "cart")),
                finding("header", HeaderRemovalType.TYPE, "header-server-removed", Severity.DANGER,
                        new ResourceRef("sailoperator.io/v1", "Istio", null, "default"))));

        assertEquals(List.of("PolicyReport", "ClusterPolicyReport"), result.unserved());
        assertEquals(List.of(), result.written());
        assertEquals(List.of(), result.deleted());
        assertEquals(2, result.notes().size());
        assertTrue(result.notes().get(0).contains("not served (CRD not installed)"), result.notes().get(0));
        assertTrue(result.notes().get(0).contains("1 namespace(s) with findings"), result.notes().get(0));
        assertTrue(result.notes().get(1).contains("ClusterPolicyReport"), result.notes().get(1));
        assertEquals(List.of(), cluster.writes());
    }

    @Test
    void onlyTheServedKindIsWritten() {
        cluster.crd("policyreports", "PolicyReport", "Namespaced");
        cluster.clearWrites();
        PolicyReports.Result result = new PolicyReports(cluster.client).write(report(
                finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                        new ResourceRef("apps/v1", "Deployment", "shop", "cart")),
                finding("header", HeaderRemovalType.TYPE, "header-server-removed", Severity.DANGER,
                        new ResourceRef("sailoperator.io/v1", "Istio", null, "default"))));

        assertEquals(List.of("ClusterPolicyReport"), result.unserved());
        assertEquals(List.of("PolicyReport shop/meshwarden"), result.written());
        assertFalse(result.notes().isEmpty());
        assertEquals(List.of("POST /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports"),
                cluster.writes());
    }

    @Test
    void aConflictingReplaceIsRetriedAndOneFailedWriteDoesNotStopTheOthers() {
        cluster.wgPolicyCrds();
        Finding shop = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "shop", "cart"));
        Finding pay = finding("ha", HaMinimumType.TYPE, "ha-replicas", Severity.DANGER,
                new ResourceRef("apps/v1", "Deployment", "payments", "api"));
        PolicyReports reports = new PolicyReports(cluster.client);
        reports.write(report(shop));
        cluster.fail("PUT", "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/meshwarden", 409);
        cluster.fail("POST", "/apis/wgpolicyk8s.io/v1alpha2/namespaces/payments/policyreports", 500);
        cluster.clearWrites();

        PolicyReports.Result result = reports.write(report(shop, pay));

        assertEquals(List.of("PolicyReport shop/meshwarden"), result.written());
        assertEquals(List.of("PolicyReport payments/meshwarden"), List.copyOf(result.failed().keySet()));
        assertTrue(result.failed().get("PolicyReport payments/meshwarden").startsWith("500"),
                result.failed().toString());
        // The conflict is retried after a fresh read; the server error is not retried.
        assertEquals(List.of("POST /apis/wgpolicyk8s.io/v1alpha2/namespaces/payments/policyreports",
                "PUT /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/meshwarden",
                "PUT /apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/meshwarden"), cluster.writes());
        assertNull(cluster.policyReport("payments", "meshwarden"));
    }

    private static Finding finding(String policy, PolicyType type, String rule, Severity severity,
            ResourceRef resource) {
        return new Finding(policy, type, rule, severity, resource, null, "spec.x", "2", "1", rule + " is wrong",
                null);
    }

    private static Report report(Finding... findings) {
        List<Finding> sorted = new ArrayList<>(Arrays.asList(findings));
        sorted.sort(Finding.ORDER);
        EvaluationResult result = new EvaluationResult(sorted, new CostSummary(0, 0, 0, List.of()),
                new Summary(sorted.size(), Map.of(), Map.of(), sorted.size(), 0, 0.0));
        return new Report(AT, "cluster", 3, result, List.of(), Map.of());
    }

    private static GenericKubernetesResource foreign(String namespace, String name, Map<String, String> labels) {
        return new GenericKubernetesResourceBuilder().withApiVersion("wgpolicyk8s.io/v1alpha2")
                .withKind(namespace == null ? "ClusterPolicyReport" : "PolicyReport")
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .addToAdditionalProperties("summary", Map.of("pass", 1))
                .addToAdditionalProperties("results", List.of()).build();
    }

    private static Map<String, Object> summary(int pass, int fail, int warn) {
        return Map.of("pass", pass, "fail", fail, "warn", warn, "error", 0, "skip", 0);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> results(GenericKubernetesResource r) {
        return (List<Map<String, Object>>) r.getAdditionalProperties().get("results");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> numbersAsLong(Object o) {
        Map<String, Object> out = new java.util.HashMap<>();
        ((Map<String, Object>) o).forEach((k, v) -> out.put(k, v instanceof Number ? (Object) ((Number) v)
                .longValue() : v));
        return out;
    }
}

package io.meshwarden.policies.injectionexclusion;

import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import org.junit.jupiter.api.Test;

class InjectionExclusionRuleTest {
    static final MeshPolicy SKIP = policy("jobs", "InjectionExclusion", "{}");
    static final MeshPolicy ENFORCE = policy("jobs", "InjectionExclusion", "{whenNativeSidecars: enforce}");
    static final String BATCH = namespace("batch", "{istio-injection: enabled}");

    static String cronJob(String ns, String podLabels, String podAnnotations, String annotations) {
        return """
                ---
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: nightly, namespace: %s, annotations: %s}
                spec:
                  schedule: "0 1 * * *"
                  jobTemplate:
                    spec:
                      template:
                        metadata: {labels: %s, annotations: %s}
                        spec: {containers: [{name: job, image: job}]}
                """.formatted(ns, annotations, podLabels, podAnnotations);
    }

    static String job(String ns, String podLabels) {
        return """
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: %s}
                spec:
                  template:
                    metadata: {labels: %s}
                    spec: {containers: [{name: job, image: job}]}
                """.formatted(ns, podLabels);
    }

    @Test
    void cronJobWithSidecarBeforeNativeSidecarsGetsALabelPatch() {
        RuleOutcome o = InjectionExclusionRule.evaluate(SKIP,
                snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"), istiod("1.26.3", "{}")));
        Finding f = only(o, "injection-job-sidecar");
        assertEquals(new ResourceRef("batch/v1", "CronJob", "batch", "nightly"), f.resource());
        assertEquals("spec.jobTemplate.spec.template.metadata.labels[\"sidecar.istio.io/inject\"]", f.path());
        assertEquals("unset", f.actual());
        assertEquals(Remedy.PATCH, f.remedy().action());
        assertEquals(json("""
                {"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"false"}}}}}}}
                """), f.remedy().patch());
        assertFalse(f.remedy().restartsPods());
        assertTrue(f.message().contains("1.26.3"), f.message());
    }

    @Test
    void jobIsReportOnly() {
        Finding f = only(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, job("batch", "{}"),
                istiod("1.26.3", "{}"))), "injection-job-sidecar");
        assertEquals(Remedy.NONE, f.remedy().action());
        assertNull(f.remedy().patch());
        assertTrue(f.remedy().note().contains("immutable"));
    }

    @Test
    void compliantWhenLabelledFalse() {
        RuleOutcome o = InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH,
                cronJob("batch", "{sidecar.istio.io/inject: \"false\"}", "{}", "{}"), istiod("1.26.3", "{}")));
        assertTrue(o.findings().isEmpty());
        assertEquals(1, o.checks());
    }

    @Test
    void notInjectedNamespaceIsCompliant() {
        RuleOutcome o = InjectionExclusionRule.evaluate(SKIP,
                snapshot(namespace("batch", "{}"), cronJob("batch", "{}", "{}", "{}"), istiod("1.26.3", "{}")));
        assertTrue(o.findings().isEmpty());
    }

    @Test
    void nativeSidecarsFromVersion127AreSkippedUnlessEnforced() {
        String s127 = istiod("1.27.1", "{}");
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"), s127))
                .findings().isEmpty());
        Finding f = only(InjectionExclusionRule.evaluate(ENFORCE, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                s127)), "injection-job-sidecar");
        assertTrue(f.message().contains("enforces"), f.message());
    }

    @Test
    void enableNativeSidecarsEnvOverridesTheVersion() {
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                istiod("1.25.0", "{pilot: {env: {ENABLE_NATIVE_SIDECARS: \"true\"}}}"))).findings().isEmpty());
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                istiod("1.27.0", "{pilot: {env: {ENABLE_NATIVE_SIDECARS: false}}}"))).findings().size());
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                istiod("1.25.0", "{env: {ENABLE_NATIVE_SIDECARS: true}}"))).findings().isEmpty(),
                "the top-level alias of pilot.env counts too");
    }

    @Test
    void sailVersionCounts() {
        String sail = """
                ---
                apiVersion: sailoperator.io/v1
                kind: Istio
                metadata: {name: default}
                spec: {version: v1.27.2, namespace: istio-system}
                """;
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"), sail))
                .findings().isEmpty());
    }

    @Test
    void unknownVersionAssumesClassicSidecarsAndSaysSo() {
        Finding f = only(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"))),
                "injection-job-sidecar");
        assertTrue(f.message().contains("unknown"), f.message());
    }

    @Test
    void injectionLabelPrecedence() {
        // Pod label true in an unlabelled namespace injects.
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(namespace("batch", "{}"),
                cronJob("batch", "{sidecar.istio.io/inject: \"true\"}", "{}", "{}"))).findings().size());
        // The label beats the annotation.
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH,
                cronJob("batch", "{sidecar.istio.io/inject: \"true\"}", "{sidecar.istio.io/inject: \"false\"}",
                        "{}"))).findings().size());
        // Annotation false switches injection off when no label says otherwise.
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH,
                cronJob("batch", "{}", "{sidecar.istio.io/inject: \"false\"}", "{}"))).findings().isEmpty());
        // istio-injection wins over istio.io/rev on the namespace.
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(
                namespace("batch", "{istio-injection: disabled, istio.io/rev: canary}"),
                cronJob("batch", "{}", "{}", "{}"))).findings().isEmpty());
        // A revision label alone injects.
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(namespace("batch", "{istio.io/rev: canary}"),
                cronJob("batch", "{}", "{}", "{}"))).findings().size());
        // Disabled namespace wins over a pod label true.
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(namespace("batch", "{istio-injection: disabled}"),
                cronJob("batch", "{sidecar.istio.io/inject: \"true\"}", "{}", "{}"))).findings().isEmpty());
    }

    @Test
    void explicitProxyInTheTemplateCountsAsInjected() {
        String manual = """
                apiVersion: batch/v1
                kind: Job
                metadata: {name: manual, namespace: plain}
                spec:
                  template:
                    spec:
                      containers: [{name: job, image: job}, {name: istio-proxy, image: proxyv2}]
                """;
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(namespace("plain", "{}"), manual,
                istiod("1.26.0", "{}"))).findings().size());
    }

    @Test
    void workloadKindsLimitTheCheck() {
        MeshPolicy cronOnly = policy("jobs", "InjectionExclusion", "{workloadKinds: [CronJob]}");
        RuleOutcome o = InjectionExclusionRule.evaluate(cronOnly, snapshot(BATCH, job("batch", "{}"),
                istiod("1.26.0", "{}")));
        assertTrue(o.findings().isEmpty());
        assertEquals(0, o.checks());
    }

    @Test
    void exemptions() {
        String s = istiod("1.26.0", "{}");
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH,
                cronJob("batch", "{}", "{}", "{meshwarden.io/exempt: jobs}"), s)).findings().isEmpty());
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(
                namespace("batch", "{istio-injection: enabled}", "{meshwarden.io/exempt: \"*\"}"),
                cronJob("batch", "{}", "{}", "{}"), s)).findings().isEmpty());
        MeshPolicy exempt = policy("jobs", "InjectionExclusion", "{}", "exemptions: [{kind: CronJob, name: nightly}]");
        assertTrue(InjectionExclusionRule.evaluate(exempt, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"), s))
                .findings().isEmpty());
        MeshPolicy excluded = policy("jobs", "InjectionExclusion", "{}", "target: {namespaces: {exclude: [batch]}}");
        assertTrue(InjectionExclusionRule.evaluate(excluded, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"), s))
                .findings().isEmpty());
    }

    @Test
    void podAnnotationDecidesNativeSidecarsForThatPod() {
        String optedOut = cronJob("batch", "{}", "{sidecar.istio.io/nativeSidecar: \"false\"}", "{}");
        assertEquals(1, InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, optedOut, istiod("1.27.0", "{}")))
                .findings().size());
        String optedIn = cronJob("batch", "{}", "{sidecar.istio.io/nativeSidecar: \"true\"}", "{}");
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, optedIn, istiod("1.25.0", "{}")))
                .findings().isEmpty());
    }

    @Test
    void nativeIstioProxyInTheTemplateIsNative() {
        String nativeProxy = """
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: n, namespace: batch}
                spec:
                  schedule: "@daily"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          initContainers: [{name: istio-proxy, image: proxyv2, restartPolicy: Always}]
                          containers: [{name: job, image: job}]
                """;
        assertTrue(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, nativeProxy)).findings().isEmpty());
        assertEquals(1, InjectionExclusionRule.evaluate(ENFORCE, snapshot(BATCH, nativeProxy)).findings().size());
    }

    @Test
    void oneOldKubeletMeansClassicSidecarsUnderIstiosDefaultAuto() {
        String nodes = """
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: new}
                status: {nodeInfo: {kubeletVersion: v1.34.1}}
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: old}
                status: {nodeInfo: {kubeletVersion: v1.32.4}}
                """;
        Finding f = only(InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                istiod("1.28.1", "{}"), nodes)), "injection-job-sidecar");
        assertTrue(f.message().contains("node old runs kubelet v1.32.4"), f.message());
        assertEquals(0, InjectionExclusionRule.evaluate(SKIP, snapshot(BATCH, cronJob("batch", "{}", "{}", "{}"),
                istiod("1.28.1", "{}"), nodes.replace("v1.32.4", "v1.33.0"))).findings().size());
    }
}

package io.meshwarden.policies.sidecarcoverage;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyValidationException;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class SidecarCoverageTest {
    static final MeshPolicy POLICY = policy("coverage", "SidecarCoverage", "{}");
    static final String PROXY = "{name: istio-proxy, image: docker.io/istio/proxyv2:1.26.3}";
    static final String APP = "{name: app, image: app}";

    /** A Deployment's pod, owned through its ReplicaSet {@code <name>-abc12}. */
    static String pod(String ns, String name, String deployment, String containers, String initContainers,
            String revision, String phase) {
        return owned(ns, name, "apps/v1", "ReplicaSet", deployment + "-abc12", "{pod-template-hash: abc12}",
                containers, initContainers, revision, phase);
    }

    static String owned(String ns, String name, String ownerApi, String ownerKind, String owner, String labels,
            String containers, String initContainers, String revision, String phase) {
        String annotations = revision == null ? "{}"
                : "{sidecar.istio.io/status: '{\"containers\":[\"istio-proxy\"],\"revision\":\"" + revision + "\"}'}";
        return """
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  labels: %s
                  annotations: %s
                  ownerReferences: [{apiVersion: %s, kind: %s, name: %s, controller: true, uid: u1}]
                spec: {containers: %s, initContainers: %s}
                status: {phase: %s}
                """.formatted(name, ns, labels, annotations, ownerApi, ownerKind, owner, containers, initContainers,
                phase);
    }

    static String withProxy(String ns, String name, String deployment, String revision) {
        return pod(ns, name, deployment, "[" + APP + ", " + PROXY + "]", "[]", revision, "Running");
    }

    static String withoutProxy(String ns, String name, String deployment) {
        return pod(ns, name, deployment, "[" + APP + "]", "[]", null, "Running");
    }

    static RuleOutcome evaluate(String... docs) {
        return SidecarCoverageType.TYPE.evaluate(POLICY, snapshot(docs));
    }

    @Test
    void labelAddedAfterThePodsStartedReportsThePodsWithoutAProxy() {
        RuleOutcome o = evaluate(namespace("shop", "{istio-injection: enabled}"), istiod("1.26.3", "{}"),
                deployment("shop", "cart", 3, "{app: cart}", "{}"),
                withoutProxy("shop", "cart-abc12-1", "cart"), withoutProxy("shop", "cart-abc12-2", "cart"),
                withProxy("shop", "cart-abc12-3", "cart", "default"));
        Finding f = only(o, "coverage-sidecar-missing");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "shop", "cart"), f.resource());
        assertTrue(f.message().contains("2 of 3 running pods have no istio-proxy"), f.message());
        assertTrue(f.message().contains("namespace label istio-injection=enabled"), f.message());
        assertEquals(Remedy.ROLLOUT_RESTART, f.remedy().action());
        assertTrue(f.remedy().restartsPods());
        assertNull(f.remedy().patch(), "the restart time is the applier's to write");
        assertTrue(f.remedy().note().contains("kubectl rollout restart deployment/cart -n shop"), f.remedy().note());
        assertTrue(f.remedy().note().contains("POST /api/v1/onboarding/<policy> runs it"), f.remedy().note());
        // The one pod with a proxy is on the revision that injects now.
        assertEquals(List.of(), findings(o, "coverage-old-revision"));
        assertEquals(2, o.checks(), "missing and revision, one check each");
    }

    @Test
    void allPodsInjectedPasses() {
        RuleOutcome o = evaluate(namespace("shop", "{istio-injection: enabled}"), istiod("1.26.3", "{}"),
                deployment("shop", "cart", 2, "{app: cart}", "{}"),
                withProxy("shop", "cart-abc12-1", "cart", "default"), withProxy("shop", "cart-abc12-2", "cart",
                        "default"));
        assertEquals(List.of(), o.findings());
        assertEquals(2, o.checks());
    }

    @Test
    void nativeSidecarCountsAsAProxyButAnInitContainerThatExitsDoesNot() {
        String nativeProxy = "[{name: istio-proxy, image: proxyv2, restartPolicy: Always}]";
        String initOnly = "[{name: istio-proxy, image: proxyv2}]";
        RuleOutcome native_ = evaluate(namespace("shop", "{istio-injection: enabled}"), istiod("1.28.0", "{}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"),
                pod("shop", "cart-abc12-1", "cart", "[" + APP + "]", nativeProxy, "default", "Running"));
        assertEquals(List.of(), native_.findings());
        RuleOutcome init = evaluate(namespace("shop", "{istio-injection: enabled}"), istiod("1.28.0", "{}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"),
                pod("shop", "cart-abc12-1", "cart", "[" + APP + "]", initOnly, null, "Running"));
        only(init, "coverage-sidecar-missing");
    }

    @Test
    void labelRemovedWhileSidecarsRunReportsThemAsLosingMtls() {
        RuleOutcome o = evaluate(namespace("legacy", "{}"), istiod("1.26.3", "{}"),
                deployment("legacy", "invoices", 2, "{app: invoices}", "{}"),
                withProxy("legacy", "invoices-abc12-1", "invoices", "default"),
                withoutProxy("legacy", "invoices-abc12-2", "invoices"));
        Finding f = only(o, "coverage-sidecar-lingering");
        assertTrue(f.message().contains("1 of 2 running pods still run istio-proxy"), f.message());
        assertTrue(f.message().contains("lose the sidecar and with it mTLS"), f.message());
        assertTrue(f.message().contains("STRICT"), f.message());
        assertEquals(Remedy.ROLLOUT_RESTART, f.remedy().action());
        assertEquals(1, o.checks(), "no missing or revision check where injection is off");
        assertEquals(List.of(), evaluate(namespace("legacy", "{}"), deployment("legacy", "invoices", 1,
                "{app: invoices}", "{}"), withoutProxy("legacy", "invoices-abc12-1", "invoices")).findings());
    }

    @Test
    void podLabelSwitchingInjectionOffCountsAsOff() {
        RuleOutcome o = evaluate(namespace("shop", "{istio-injection: enabled}"),
                deployment("shop", "cart", 1, "{app: cart, sidecar.istio.io/inject: \"false\"}", "{}"),
                withProxy("shop", "cart-abc12-1", "cart", "default"));
        Finding f = only(o, "coverage-sidecar-lingering");
        assertTrue(f.message().contains("pod label sidecar.istio.io/inject=false"), f.message());
    }

    @Test
    void revisionChangedReportsPodsOfTheOldRevision() {
        String canary = io.meshwarden.testing.Fixtures.helmRelease("istio-system", "istiod-1-28", "istiod", "1.28.0",
                "{}", "{revision: 1-28}");
        RuleOutcome o = evaluate(namespace("shop", "{istio.io/rev: 1-28}"), istiod("1.27.3", "{}"), canary,
                deployment("shop", "cart", 3, "{app: cart}", "{}"),
                withProxy("shop", "cart-abc12-1", "cart", "default"),
                withProxy("shop", "cart-abc12-2", "cart", "default"),
                withProxy("shop", "cart-abc12-3", "cart", "1-28"));
        Finding f = only(o, "coverage-old-revision");
        assertEquals("1-28", f.expected());
        assertEquals("default: 2 (of 3 running pods)", f.actual());
        assertTrue(f.message().contains("2 of 3 running pods run a proxy injected by another revision"),
                f.message());
        assertTrue(f.message().contains("namespace label istio.io/rev=1-28"), f.message());
        assertEquals(List.of(), findings(o, "coverage-sidecar-missing"));
        // Back to the default revision: now the 1-28 pod is the old one.
        RuleOutcome back = evaluate(namespace("shop", "{istio-injection: enabled, istio.io/rev: 1-28}"),
                istiod("1.27.3", "{}"), canary, deployment("shop", "cart", 2, "{app: cart}", "{}"),
                withProxy("shop", "cart-abc12-1", "cart", "default"),
                withProxy("shop", "cart-abc12-3", "cart", "1-28"));
        assertEquals("default", only(back, "coverage-old-revision").expected());
    }

    @Test
    void revisionFallsBackToTheTemplatesRevAnnotationNotThePodsLabel() {
        String canary = io.meshwarden.testing.Fixtures.helmRelease("istio-system", "istiod-1-28", "istiod", "1.28.0",
                "{}", "{revision: 1-28}");
        // No status annotation; the injection template's istio.io/rev annotation says default.
        String byAnnotation = """
                ---
                apiVersion: v1
                kind: Pod
                metadata:
                  name: cart-abc12-1
                  namespace: shop
                  labels: {pod-template-hash: abc12, istio.io/rev: 1-28}
                  annotations: {istio.io/rev: default}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: cart-abc12, controller: true}]
                spec: {containers: [%s, %s]}
                status: {phase: Running}
                """.formatted(APP, PROXY);
        RuleOutcome o = evaluate(namespace("shop", "{istio.io/rev: 1-28}"), istiod("1.27.3", "{}"), canary,
                deployment("shop", "cart", 1, "{app: cart}", "{}"), byAnnotation);
        assertEquals("1-28", only(o, "coverage-old-revision").expected());
    }

    @Test
    void aRevisionTagIsNotJudgedAndIsNoted() {
        MeshPolicy p = POLICY;
        ClusterSnapshot s = snapshot(namespace("shop", "{istio.io/rev: prod-stable}"), istiod("1.27.3", "{}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"),
                withProxy("shop", "cart-abc12-1", "cart", "default"));
        assertEquals(List.of(), SidecarCoverageType.TYPE.evaluate(p, s).findings());
        List<Note> notes = SidecarCoverageType.TYPE.notes(p, s);
        assertEquals(1, notes.size(), notes.toString());
        assertEquals(Note.UNRESOLVED_REVISION, notes.get(0).code());
        assertTrue(notes.get(0).message().contains("'prod-stable'"), notes.get(0).message());
        assertTrue(notes.get(0).message().contains("known: default"), notes.get(0).message());
    }

    @Test
    void jobPodsAreReportedWithoutARestart() {
        String job = """
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: batch}
                spec:
                  template:
                    metadata: {labels: {app: migrate}}
                    spec: {restartPolicy: Never, containers: [{name: job, image: job}]}
                """;
        RuleOutcome o = evaluate(namespace("batch", "{istio-injection: enabled}"), istiod("1.26.3", "{}"), job,
                owned("batch", "migrate-x1", "batch/v1", "Job", "migrate", "{}", "[" + APP + "]", "[]", null,
                        "Running"),
                // A finished pod of an earlier attempt is not running: not counted.
                owned("batch", "migrate-x0", "batch/v1", "Job", "migrate", "{}", "[" + APP + "]", "[]", null,
                        "Failed"));
        Finding f = only(o, "coverage-sidecar-missing");
        assertEquals(new ResourceRef("batch/v1", "Job", "batch", "migrate"), f.resource());
        assertTrue(f.message().contains("1 of 1"), f.message());
        assertEquals(Remedy.NONE, f.remedy().action());
        assertTrue(f.remedy().note().contains("immutable"), f.remedy().note());
    }

    @Test
    void statefulSetAndDaemonSetPodsAreTheirs() {
        String sts = """
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: ledger, namespace: shop}
                spec:
                  serviceName: ledger
                  selector: {matchLabels: {app: ledger}}
                  template:
                    metadata: {labels: {app: ledger}}
                    spec: {containers: [{name: app, image: app}]}
                """;
        RuleOutcome o = evaluate(namespace("shop", "{istio-injection: enabled}"), istiod("1.26.3", "{}"), sts,
                owned("shop", "ledger-0", "apps/v1", "StatefulSet", "ledger", "{}", "[" + APP + "]", "[]", null,
                        "Running"));
        assertEquals(new ResourceRef("apps/v1", "StatefulSet", "shop", "ledger"),
                only(o, "coverage-sidecar-missing").resource());
    }

    @Test
    void podsOfUnknownOwnersAndWorkloadsWithoutPodsAreNotChecked() {
        ClusterSnapshot s = snapshot(namespace("shop", "{istio-injection: enabled}"), istiod("1.26.3", "{}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"),
                // A bare ReplicaSet's pod (its name is no Deployment's plus the hash), a pod of an unknown
                // Deployment, a pod without owner.
                owned("shop", "bare-1", "apps/v1", "ReplicaSet", "bare", "{pod-template-hash: abc12}",
                        "[" + APP + "]", "[]", null, "Running"),
                withoutProxy("shop", "gone-abc12-1", "gone"),
                """
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: lonely, namespace: shop}
                spec: {containers: [{name: app, image: app}]}
                """);
        assertTrue(s.runningPods().isEmpty(), s.runningPods().toString());
        RuleOutcome o = SidecarCoverageType.TYPE.evaluate(POLICY, s);
        assertEquals(0, o.checks());
        List<Note> notes = SidecarCoverageType.TYPE.notes(POLICY, s);
        assertEquals(Note.NO_RUNNING_PODS, notes.get(0).code());
    }

    @Test
    void targetAndExemptionsApply() {
        MeshPolicy elsewhere = policy("coverage", "SidecarCoverage", "{}", "target: {namespaces: {include: [other]}}");
        ClusterSnapshot s = snapshot(namespace("shop", "{istio-injection: enabled}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"), withoutProxy("shop", "cart-abc12-1", "cart"));
        assertEquals(0, SidecarCoverageType.TYPE.evaluate(elsewhere, s).checks());
        MeshPolicy exempt = policy("coverage", "SidecarCoverage", "{}",
                "exemptions: [{namespace: shop, kind: Deployment, name: cart}]");
        assertEquals(0, SidecarCoverageType.TYPE.evaluate(exempt, s).checks());
    }

    @Test
    void enforceModeReportsTheRestartButThePlannerNeverAppliesIt() {
        MeshPolicy enforcing = policy("coverage", "SidecarCoverage", "{}", "mode: enforce");
        ClusterSnapshot s = snapshot(namespace("shop", "{istio-injection: enabled}"), istiod("1.26.3", "{}"),
                deployment("shop", "cart", 1, "{app: cart}", "{}"), withoutProxy("shop", "cart-abc12-1", "cart"));
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(List.of(enforcing), s);
        assertEquals(1, r.findings().size());
        Plan plan = Planner.plan(List.of(enforcing), r, s);
        assertEquals(List.of(), plan.changes());
        assertEquals(1, plan.skipped().size());
        assertEquals(Remedy.ROLLOUT_RESTART, plan.skipped().get(0).action());
        assertEquals(Planner.ROLLOUT_RESTART_REASON, plan.skipped().get(0).reason());
    }

    @Test
    void parametersDefaultToTheRolloutSettingsAndRoundTrip() {
        SidecarCoverageParameters p = (SidecarCoverageParameters) POLICY.spec().parameters();
        assertEquals(1, p.batchSize());
        assertEquals(0, p.pauseSeconds());
        assertTrue(p.presizeProxies());
        assertEquals(new SidecarCoverageParameters.Halt(50, 3, 600, BigDecimal.valueOf(2)), p.halt());
        MeshPolicy full = policy("coverage", "SidecarCoverage", "{batchSize: 3, pauseSeconds: 60, presizeProxies: "
                + "false, halt: {hpaSurgePercent: 20, crashLoopRestarts: 2, deadlineSeconds: 300, "
                + "proxyCpuOverRequest: 1.5}}");
        SidecarCoverageParameters q = (SidecarCoverageParameters) full.spec().parameters();
        assertEquals(3, q.batchSize());
        assertFalse(q.presizeProxies());
        assertEquals(new SidecarCoverageParameters.Halt(20, 2, 300, new BigDecimal("1.5")), q.halt());
        // A partly given halt object keeps the other defaults.
        SidecarCoverageParameters partly = (SidecarCoverageParameters) policy("coverage", "SidecarCoverage",
                "{halt: {hpaSurgePercent: 10}}").spec().parameters();
        assertEquals(new SidecarCoverageParameters.Halt(10, 3, 600, BigDecimal.valueOf(2)), partly.halt());
        MeshPolicy again = PolicyTypes.CODEC.read(io.meshwarden.policy.PolicyCodec.write(full));
        assertEquals(full.spec().parameters(), again.spec().parameters());
    }

    @Test
    void badParametersNameTheirField() {
        PolicyValidationException e = assertThrows(PolicyValidationException.class, () -> policy("coverage",
                "SidecarCoverage", "{batchSize: 0, halt: {crashLoopRestarts: 0, proxyCpuOverRequest: 0.5}, "
                        + "bogus: 1}"));
        String m = e.getMessage();
        assertTrue(m.contains("/spec/parameters/batchSize: must be between 1 and 1000"), m);
        assertTrue(m.contains("/spec/parameters/halt/crashLoopRestarts"), m);
        assertTrue(m.contains("/spec/parameters/halt/proxyCpuOverRequest"), m);
        assertTrue(m.contains("/spec/parameters/bogus: unknown field"), m);
    }
}

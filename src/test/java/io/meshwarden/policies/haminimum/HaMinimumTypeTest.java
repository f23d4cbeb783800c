package io.meshwarden.policies.haminimum;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.helmRelease;
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
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyType;
import org.junit.jupiter.api.Test;

class HaMinimumTypeTest {
    static final MeshPolicy ISTIOD = policy("ha", "HaMinimum",
            "{components: [istiod], minReplicas: 2, autoscaleMin: 2, autoscaleMax: 5, requirePodDisruptionBudget: false}");
    static final MeshPolicy ISTIOD_PDB = policy("ha", "HaMinimum",
            "{components: [istiod], minReplicas: 2, autoscaleMin: 2, autoscaleMax: 5}");

    static String istiodDeployment(Integer replicas) {
        return deployment("istio-system", "istiod", replicas, "{app: istiod, istio: pilot}", "{}");
    }

    static String hpa(String name, int min, int max) {
        return """
                ---
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: %s, namespace: istio-system}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
                  minReplicas: %d
                  maxReplicas: %d
                """.formatted(name, name, min, max);
    }

    static String pdb(String name, String field, String value) {
        return """
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: %s, namespace: istio-system}
                spec:
                  %s: %s
                  selector: {matchLabels: {app: istiod}}
                """.formatted(name, field, value);
    }

    @Test
    void helmValuesBelowMinimumUnderPilotAreReportedAtThatPath() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiod("1.26.2", "{pilot: {autoscaleMax: 6}}")));
        Finding f = only(o, "ha-helm-autoscale-min");
        assertEquals("pilot.autoscaleMin", f.path());
        assertEquals("1 (chart default)", f.actual());
        assertEquals(">= 2", f.expected());
        assertEquals(ResourceRef.helmRelease("istio-system", "istiod"), f.resource());
        assertEquals(new HelmRef("istio-system", "istiod", 1), f.helmRelease());
        assertEquals(HaMinimumType.TYPE, f.type());
        assertEquals(Remedy.VALUES_OVERLAY, f.remedy().action());
        assertEquals(json("{\"pilot\":{\"autoscaleMin\":2}}"), f.remedy().patch());
        assertFalse(f.remedy().restartsPods());
        assertTrue(findings(o, "ha-helm-autoscale-max").isEmpty());
        assertTrue(findings(o, "ha-helm-replica-count").isEmpty(), "replicaCount is ignored under an HPA");
    }

    @Test
    void compliantValuesPass() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiod("1.26.2", "{pilot: {autoscaleMin: 3}}")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
        assertEquals(2, o.checks());
    }

    @Test
    void topLevelAliasCountsAndIsTheFixedPath() {
        String defaults = "{_internal_defaults_do_not_set: {autoscaleEnabled: true, autoscaleMin: 1, "
                + "autoscaleMax: 5, replicaCount: 1}}";
        RuleOutcome ok = HaMinimumType.TYPE.evaluate(ISTIOD,
                snapshot(helmRelease("istio-system", "istiod", "istiod", "1.26.0", defaults, "{autoscaleMin: 2}")));
        assertTrue(ok.findings().isEmpty(), ok.findings()::toString);

        RuleOutcome low = HaMinimumType.TYPE.evaluate(ISTIOD,
                snapshot(helmRelease("istio-system", "istiod", "istiod", "1.26.0", defaults, "{autoscaleMin: 1}")));
        Finding f = only(low, "ha-helm-autoscale-min");
        assertEquals("autoscaleMin", f.path());
        assertEquals("1", f.actual());
        assertEquals(json("{\"autoscaleMin\":2}"), f.remedy().patch());

        RuleOutcome chartDefault = HaMinimumType.TYPE.evaluate(ISTIOD,
                snapshot(helmRelease("istio-system", "istiod", "istiod", "1.26.0", defaults, "{}")));
        Finding d = only(chartDefault, "ha-helm-autoscale-min");
        assertEquals("autoscaleMin", d.path(), "the key users set, not the chart's defaults block");
        assertEquals(json("{\"pilot\":{\"autoscaleMin\":2}}"), d.remedy().patch(),
                "pilot.X overrides every other location, so it is the safe key to set");
    }

    @Test
    void pilotBeatsTopLevelBecauseTheChartCopiesPilotOverIt() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD,
                snapshot(istiod("1.26.2", "{autoscaleMin: 3, pilot: {autoscaleMin: 1}}")));
        assertEquals("pilot.autoscaleMin", only(o, "ha-helm-autoscale-min").path());
    }

    @Test
    void replicaCountMattersOnlyWhenAutoscalingIsOff() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD,
                snapshot(istiod("1.26.2", "{pilot: {autoscaleEnabled: false}}")));
        Finding f = only(o, "ha-helm-replica-count");
        assertEquals("pilot.replicaCount", f.path());
        assertEquals(json("{\"pilot\":{\"replicaCount\":2}}"), f.remedy().patch());
        assertTrue(findings(o, "ha-helm-autoscale-min").isEmpty());
    }

    @Test
    void liveHpaBelowMinimumIsPatchedAndTheDeploymentNeverGetsAReplicasFinding() {
        ClusterSnapshot s = snapshot(istiodDeployment(1), hpa("istiod", 1, 3));
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, s);
        Finding f = only(o, "ha-hpa-min-replicas");
        assertEquals(new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod"),
                f.resource());
        assertEquals(Remedy.PATCH, f.remedy().action());
        assertEquals(json("{\"spec\":{\"minReplicas\":2}}"), f.remedy().patch());
        assertEquals(json("{\"spec\":{\"maxReplicas\":5}}"), only(o, "ha-hpa-max-replicas").remedy().patch());
        assertTrue(findings(o, "ha-deployment-replicas").isEmpty(), "never fight the HPA");
    }

    @Test
    void deploymentWithoutHpaBelowMinimum() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(1)));
        Finding f = only(o, "ha-deployment-replicas");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod"), f.resource());
        assertEquals(json("{\"spec\":{\"replicas\":2}}"), f.remedy().patch());
        assertEquals("spec.replicas", f.path());

        assertTrue(HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(2))).findings().isEmpty());
        assertEquals(1, HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(null))).findings().size(),
                "absent replicas default to 1");
    }

    @Test
    void aHelmManagedIstiodGetsNoPdbOfOursBecauseItsChartRendersOne() {
        String helmIstiod = istiodDeployment(1).replace("metadata: {name: istiod, namespace: istio-system,",
                "metadata: {name: istiod, namespace: istio-system, annotations: {meta.helm.sh/release-name: istiod},");
        assertTrue(helmIstiod.contains("meta.helm.sh/release-name"), helmIstiod);
        Finding f = only(HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(helmIstiod, istiod("1.28.0", "{}"))),
                "ha-pdb-missing");
        assertEquals(Remedy.NONE, f.remedy().action(), "a PDB of ours next to the chart's blocks every eviction");
        assertTrue(f.remedy().note().contains("renders its own PodDisruptionBudget"), f.remedy().note());
        Finding off = only(HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(helmIstiod, istiod("1.28.0",
                "{global: {defaultPodDisruptionBudget: {enabled: false}}}"))), "ha-pdb-missing");
        assertEquals(Remedy.CREATE, off.remedy().action(), "with the chart's PDB off, Meshwarden's is the only one");
    }

    @Test
    void missingPdbGetsACreateRemedy() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(2)));
        Finding f = only(o, "ha-pdb-missing");
        assertEquals(Remedy.CREATE, f.remedy().action());
        assertEquals(json("""
                {"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
                 "metadata":{"name":"istiod-meshwarden","namespace":"istio-system",
                             "labels":{"app.kubernetes.io/managed-by":"meshwarden"}},
                 "spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"istiod","istio":"pilot"}}}}
                """), f.remedy().patch());
        assertTrue(HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(2))).findings().isEmpty(),
                "not required when requirePodDisruptionBudget is false");
    }

    @Test
    void pdbWithMinAvailableOneAndOneReplicaBlocksEviction() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(1), pdb("istiod", "minAvailable",
                "1")));
        Finding f = only(o, "ha-pdb-blocks-eviction");
        assertEquals(new ResourceRef("policy/v1", "PodDisruptionBudget", "istio-system", "istiod"), f.resource());
        assertEquals(new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod"), f.remedy().target());
        assertEquals(json("{\"spec\":{\"replicas\":2}}"), f.remedy().patch());
        assertTrue(findings(o, "ha-pdb-missing").isEmpty());

        RuleOutcome fine = HaMinimumType.TYPE.evaluate(ISTIOD_PDB,
                snapshot(istiodDeployment(3), pdb("istiod", "minAvailable", "1")));
        assertTrue(fine.findings().isEmpty(), fine.findings()::toString);
    }

    @Test
    void pdbBlockingAtTheHpaFloorRaisesTheHpa() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(3), hpa("istiod", 2, 5),
                pdb("istiod", "minAvailable", "\"100%\"")));
        Finding f = only(o, "ha-pdb-blocks-eviction");
        assertEquals("PodDisruptionBudget", f.remedy().target().kind(), "100% blocks at any count: fix the PDB");

        RuleOutcome two = HaMinimumType.TYPE.evaluate(policy("ha", "HaMinimum", "{components: [istiod], minReplicas: 1, "
                + "autoscaleMin: 1}"), snapshot(istiodDeployment(3), hpa("istiod", 1, 5), pdb("istiod",
                        "minAvailable", "1")));
        Finding g = only(two, "ha-pdb-blocks-eviction");
        assertEquals("HorizontalPodAutoscaler", g.remedy().target().kind());
        assertEquals(json("{\"spec\":{\"minReplicas\":2}}"), g.remedy().patch());
    }

    @Test
    void aPdbOverTwoDeploymentsCountsThePodsOfBoth() {
        String pilotPdb = """
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: pilot, namespace: istio-system}
                spec:
                  minAvailable: 1
                  selector: {matchLabels: {istio: pilot}}
                """;
        String canary = deployment("istio-system", "istiod-canary", 1, "{app: istiod-canary, istio: pilot}", "{}");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(1), canary, pilotPdb));
        assertTrue(findings(o, "ha-pdb-blocks-eviction").isEmpty(), "two pods, minAvailable 1: " + o.findings());
        RuleOutcome alone = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(1), pilotPdb));
        assertEquals(1, findings(alone, "ha-pdb-blocks-eviction").size());
    }

    @Test
    void pdbWithMaxUnavailableZeroBlocks() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB,
                snapshot(istiodDeployment(3), pdb("istiod", "maxUnavailable", "0")));
        Finding f = only(o, "ha-pdb-blocks-eviction");
        assertEquals(json("{\"spec\":{\"maxUnavailable\":1}}"), f.remedy().patch());
        assertEquals("spec.maxUnavailable", f.path());
    }

    @Test
    void gatewayChartValues() {
        MeshPolicy p = policy("gw", "HaMinimum", "{components: [ingressgateway], requirePodDisruptionBudget: false}");
        String release = helmRelease("istio-ingress", "istio-ingressgateway", "gateway", "1.26.1",
                "{autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 5}, replicaCount: 1}", "{}");
        Finding f = only(HaMinimumType.TYPE.evaluate(p, snapshot(release)), "ha-helm-autoscale-min");
        assertEquals("autoscaling.minReplicas", f.path());
        assertEquals(json("{\"autoscaling\":{\"minReplicas\":2}}"), f.remedy().patch());

        String off = helmRelease("istio-ingress", "istio-ingressgateway", "gateway", "1.26.1",
                "{autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 5}, replicaCount: 1}",
                "{autoscaling: {enabled: false}, replicaCount: 3}");
        assertTrue(HaMinimumType.TYPE.evaluate(p, snapshot(off)).findings().isEmpty());

        MeshPolicy egress = policy("gw", "HaMinimum", "{components: [egressgateway]}");
        assertTrue(HaMinimumType.TYPE.evaluate(egress, snapshot(release)).findings().isEmpty(),
                "an ingress release is not the egress gateway");
    }

    @Test
    void legacyUmbrellaChartGatewayKeys() {
        MeshPolicy p = policy("gw", "HaMinimum", "{components: [ingressgateway], requirePodDisruptionBudget: false}");
        String release = helmRelease("istio-system", "istio", "istio", "1.4.0",
                "{gateways: {istio-ingressgateway: {autoscaleEnabled: true, autoscaleMin: 1, autoscaleMax: 5}}}",
                "{}");
        Finding f = only(HaMinimumType.TYPE.evaluate(p, snapshot(release)), "ha-helm-autoscale-min");
        assertEquals("gateways.istio-ingressgateway.autoscaleMin", f.path());
        assertEquals(json("{\"gateways\":{\"istio-ingressgateway\":{\"autoscaleMin\":2}}}"), f.remedy().patch());
    }

    @Test
    void sailIstioValues() {
        String sail = """
                apiVersion: sailoperator.io/v1
                kind: Istio
                metadata: {name: default}
                spec:
                  version: v1.27.0
                  namespace: istio-system
                  values: {pilot: {autoscaleMin: 1, autoscaleMax: 5}}
                """;
        Finding f = only(HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(sail)), "ha-helm-autoscale-min");
        assertEquals("spec.values.pilot.autoscaleMin", f.path());
        assertEquals(Remedy.PATCH, f.remedy().action());
        assertEquals(new ResourceRef("sailoperator.io/v1", "Istio", null, "default"), f.remedy().target());
        assertEquals(json("{\"spec\":{\"values\":{\"pilot\":{\"autoscaleMin\":2}}}}"), f.remedy().patch());
        assertNull(f.helmRelease());
    }

    @Test
    void istioOperatorHpaSpecWinsOverValues() {
        String iop = """
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                metadata: {name: control-plane, namespace: istio-system}
                spec:
                  values: {pilot: {autoscaleMin: 3}}
                  components:
                    pilot: {k8s: {hpaSpec: {minReplicas: 1}}}
                    ingressGateways:
                    - name: istio-ingressgateway
                      enabled: true
                      k8s: {hpaSpec: {minReplicas: 1}}
                """;
        Finding f = only(HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(iop)), "ha-iop-hpa-min-replicas");
        assertEquals("spec.components.pilot.k8s.hpaSpec.minReplicas", f.path());
        assertEquals(json("{\"spec\":{\"components\":{\"pilot\":{\"k8s\":{\"hpaSpec\":{\"minReplicas\":2}}}}}}"),
                f.remedy().patch());

        MeshPolicy gw = policy("gw", "HaMinimum", "{components: [ingressgateway]}");
        Finding g = only(HaMinimumType.TYPE.evaluate(gw, snapshot(iop)), "ha-iop-hpa-min-replicas");
        assertEquals("spec.components.ingressGateways[0].k8s.hpaSpec.minReplicas", g.path());
        assertEquals(2, g.remedy().patch().at("/spec/components/ingressGateways/0/k8s/hpaSpec/minReplicas").asInt());
        assertEquals("istio-ingressgateway",
                g.remedy().patch().at("/spec/components/ingressGateways/0/name").asText());
    }

    @Test
    void namedHelmReleaseComponent() {
        MeshPolicy p = policy("rel", "HaMinimum", "{components: [my-gw], requirePodDisruptionBudget: false}");
        String release = helmRelease("edge", "my-gw", "gateway", "1.26.1",
                "{autoscaling: {enabled: false}, replicaCount: 1}", "{}");
        String d = """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: my-gw
                  namespace: edge
                  annotations: {meta.helm.sh/release-name: my-gw}
                spec:
                  replicas: 1
                  template: {metadata: {labels: {app: my-gw}}}
                """;
        RuleOutcome o = HaMinimumType.TYPE.evaluate(p, snapshot(release, d));
        assertEquals("replicaCount", only(o, "ha-helm-replica-count").path());
        assertTrue(only(o, "ha-deployment-replicas").remedy().note().contains("Helm release my-gw"));
    }

    @Test
    void exemptionsFromThePolicyAndFromAnnotations() {
        MeshPolicy exempt = policy("ha", "HaMinimum", "{components: [istiod], requirePodDisruptionBudget: false}",
                "exemptions: [{namespace: istio-system, kind: Deployment, name: istiod}]");
        assertTrue(HaMinimumType.TYPE.evaluate(exempt, snapshot(istiodDeployment(1))).findings().isEmpty());

        String annotated = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: istiod
                  namespace: istio-system
                  labels: {app: istiod}
                  annotations: {meshwarden.io/exempt: "other, ha"}
                spec:
                  replicas: 1
                  template: {metadata: {labels: {app: istiod}}}
                """;
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(annotated));
        assertTrue(o.findings().isEmpty());
        assertEquals(0, o.checks(), "exempt objects are not checks");

        RuleOutcome ns = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(1),
                namespace("istio-system", "{}", "{meshwarden.io/exempt: \"*\"}"), istiod("1.26.0", "{}")));
        assertTrue(ns.findings().isEmpty(), "namespace annotation exempts the Deployment and the release");

        RuleOutcome otherPolicy = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(1),
                namespace("istio-system", "{}", "{meshwarden.io/exempt: \"someone-else\"}")));
        assertEquals(1, otherPolicy.findings().size());
    }

    @Test
    void hpaAndPdbExemptionsOnlySkipThoseObjects() {
        MeshPolicy p = policy("ha", "HaMinimum", "{components: [istiod]}",
                "exemptions: [{kind: HorizontalPodAutoscaler}, {kind: PodDisruptionBudget, name: istiod}]");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(p, snapshot(istiodDeployment(1), hpa("istiod", 1, 5),
                pdb("istiod", "minAvailable", "1")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
    }

    @Test
    void exemptAnnotationOnHpaAndPdbSkipsOnlyThoseObjects() {
        String annotatedHpa = hpa("istiod", 1, 5).replace("metadata: {name: istiod, namespace: istio-system}",
                "metadata: {name: istiod, namespace: istio-system, annotations: {meshwarden.io/exempt: \"other, ha\"}}");
        String annotatedPdb = pdb("istiod", "minAvailable", "1").replace(
                "metadata: {name: istiod, namespace: istio-system}",
                "metadata: {name: istiod, namespace: istio-system, annotations: {meshwarden.io/exempt: \"*\"}}");
        RuleOutcome exempt = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(1), annotatedHpa,
                annotatedPdb));
        assertTrue(findings(exempt, "ha-hpa-min-replicas").isEmpty(), exempt.findings()::toString);
        assertTrue(findings(exempt, "ha-pdb-blocks-eviction").isEmpty(), exempt.findings()::toString);
        RuleOutcome plain = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(1), hpa("istiod", 1, 5),
                pdb("istiod", "minAvailable", "1")));
        assertEquals(1, findings(plain, "ha-hpa-min-replicas").size(), "without the annotation it is reported");
        assertEquals(1, findings(plain, "ha-pdb-blocks-eviction").size());
    }

    @Test
    void targetNamespacesAndSelector() {
        MeshPolicy elsewhere = policy("ha", "HaMinimum", "{components: [istiod]}",
                "target: {namespaces: {include: [prod]}}");
        assertTrue(HaMinimumType.TYPE.evaluate(elsewhere, snapshot(istiodDeployment(1), istiod("1.26.0", "{}")))
                .findings().isEmpty());
        MeshPolicy selected = policy("ha", "HaMinimum", "{components: [istiod], requirePodDisruptionBudget: false}",
                "target: {selector: {matchLabels: {app: istiod}}}");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(selected, snapshot(istiodDeployment(1), istiod("1.26.0", "{}")));
        assertEquals(1, findings(o, "ha-deployment-replicas").size());
        assertEquals(1, findings(o, "ha-helm-autoscale-min").size(),
                "the release takes its Deployment's labels for the selector");
    }

    // ------------------------------------------------------------------------------------------- PDB semantics

    /** A PDB as Meshwarden's ha-pdb-missing remedy creates it. */
    static String ourPdb(String name, String matchLabels) {
        return """
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata:
                  name: %s
                  namespace: istio-system
                  labels: {app.kubernetes.io/managed-by: meshwarden}
                spec:
                  maxUnavailable: 1
                  selector: {matchLabels: %s}
                """.formatted(name, matchLabels);
    }

    static final MeshPolicy ISTIOD_PDB_DANGER = policy("ha", "HaMinimum",
            "{components: [istiod], minReplicas: 2, autoscaleMin: 2, autoscaleMax: 5}", "severity: danger");

    @Test
    void twoPdbsOnTheSamePodsAreAFindingAndOursIsTheOneDeleted() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB_DANGER, snapshot(istiodDeployment(2),
                pdb("istiod", "minAvailable", "1"), ourPdb("istiod-meshwarden", "{app: istiod}")));
        Finding f = only(o, "ha-pdb-overlapping");
        assertEquals(io.meshwarden.policy.Severity.DANGER, f.severity(), "the policy's severity");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "istio-system", "istiod"), f.resource());
        assertTrue(f.message().contains("eviction API refuses"), f.message());
        assertTrue(f.actual().contains("istiod") && f.actual().contains("istiod-meshwarden"), f.actual());
        assertEquals(Remedy.DELETE, f.remedy().action());
        assertEquals(new ResourceRef("policy/v1", "PodDisruptionBudget", "istio-system", "istiod-meshwarden"),
                f.remedy().target());
        assertNull(f.remedy().patch());
        assertTrue(findings(o, "ha-pdb-missing").isEmpty());

        RuleOutcome warning = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(2),
                pdb("istiod", "minAvailable", "1"), ourPdb("istiod-meshwarden", "{app: istiod}")));
        assertEquals(io.meshwarden.policy.Severity.WARNING, only(warning, "ha-pdb-overlapping").severity());

        RuleOutcome one = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(2),
                pdb("istiod", "minAvailable", "1")));
        assertTrue(one.findings().isEmpty(), one.findings()::toString);
    }

    @Test
    void overlappingPdbsNoneOfThemOursAreNamedWithNoAutomaticFix() {
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(2),
                pdb("istiod", "minAvailable", "1"), pdb("istiod-extra", "maxUnavailable", "1")));
        Finding f = only(o, "ha-pdb-overlapping");
        assertEquals(Remedy.NONE, f.remedy().action());
        assertTrue(f.remedy().note().contains("istiod, istiod-extra"), f.remedy().note());
    }

    @Test
    void overlapCountsExemptPdbsAndRunsWithoutRequirePodDisruptionBudget() {
        String exempt = pdb("istiod", "minAvailable", "1").replace("metadata: {name: istiod, namespace: istio-system}",
                "metadata: {name: istiod, namespace: istio-system, annotations: {meshwarden.io/exempt: \"true\"}}");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD, snapshot(istiodDeployment(2), exempt,
                ourPdb("istiod-meshwarden", "{app: istiod}")));
        assertEquals(Remedy.DELETE, only(o, "ha-pdb-overlapping").remedy().action());
    }

    @Test
    void noPdbIsProposedWhereAPdbOfAnyOwnerSelectsThePods() {
        String chart = pdb("istiod", "minAvailable", "1").replace("metadata: {name: istiod, namespace: istio-system}",
                "metadata: {name: istiod, namespace: istio-system, labels: {app.kubernetes.io/managed-by: Helm}}");
        String everything = """
                ---
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: all-pods, namespace: istio-system}
                spec: {maxUnavailable: 1, selector: {}}
                """;
        for (String existing : new String[] {pdb("istiod", "maxUnavailable", "1"), chart, everything,
                ourPdb("istiod-meshwarden", "{istio: pilot}")}) {
            RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiodDeployment(2), existing));
            assertTrue(findings(o, "ha-pdb-missing").isEmpty(), existing);
            assertTrue(o.findings().stream().noneMatch(f -> Remedy.CREATE.equals(f.remedy().action())), existing);
        }
    }

    static String chartDeployment(String selector) {
        return """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: istio-ingressgateway, namespace: istio-system, labels: {istio: ingressgateway}}
                spec:
                  replicas: 2
                  selector: %s
                  template:
                    metadata:
                      labels:
                        app: istio-ingressgateway
                        istio: ingressgateway
                        app.kubernetes.io/version: 1.30.3
                        helm.sh/chart: gateway-1.30.3
                        istio.io/dataplane-mode: none
                    spec: {containers: [{name: istio-proxy, image: auto}]}
                """.formatted(selector);
    }

    @Test
    void ourPdbSelectsWithTheDeploymentsSelectorNotItsVersionOrChartLabels() {
        MeshPolicy gw = policy("gw", "HaMinimum", "{components: [ingressgateway], minReplicas: 2}");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(gw, snapshot(chartDeployment(
                "{matchLabels: {app: istio-ingressgateway, istio: ingressgateway}}")));
        Finding f = only(o, "ha-pdb-missing");
        assertEquals(Remedy.CREATE, f.remedy().action());
        assertEquals(json("{\"app\":\"istio-ingressgateway\",\"istio\":\"ingressgateway\"}"),
                f.remedy().patch().at("/spec/selector/matchLabels"));

        // After a chart upgrade the version label moved on; the PDB still selects the pods.
        RuleOutcome upgraded = HaMinimumType.TYPE.evaluate(gw, snapshot(chartDeployment(
                "{matchLabels: {app: istio-ingressgateway, istio: ingressgateway}}").replace("1.30.3", "1.30.4"),
                f.remedy().patch().toString()));
        assertTrue(findings(upgraded, "ha-pdb-missing").isEmpty(), upgraded.findings()::toString);
    }

    @Test
    void aSelectorWithMatchExpressionsGetsNoPdbRatherThanAWrongOne() {
        MeshPolicy gw = policy("gw", "HaMinimum", "{components: [ingressgateway], minReplicas: 2}");
        for (String selector : new String[] {
                "{matchExpressions: [{key: app, operator: In, values: [istio-ingressgateway]}]}",
                "{matchLabels: {istio: ingressgateway}, matchExpressions: [{key: app, operator: Exists}]}"}) {
            Finding f = only(HaMinimumType.TYPE.evaluate(gw, snapshot(chartDeployment(selector))), "ha-pdb-missing");
            assertEquals(Remedy.NONE, f.remedy().action(), selector);
            assertTrue(f.remedy().note().contains("matchExpressions"), f.remedy().note());
        }
    }

    @Test
    void anOverlayThatMakesTheIstiodChartRenderAPdbSaysOursMustGo() {
        String release = istiod("1.30.3", "{}");
        RuleOutcome o = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(release, istiodDeployment(1),
                hpa("istiod", 1, 5), ourPdb("istiod-meshwarden", "{app: istiod, istio: pilot}")));
        Finding f = only(o, "ha-helm-autoscale-min");
        assertEquals(Remedy.VALUES_OVERLAY, f.remedy().action());
        assertTrue(f.remedy().note().contains("renders its own PodDisruptionBudget"), f.remedy().note());
        assertTrue(f.remedy().note().contains("istio-system/istiod-meshwarden must go"), f.remedy().note());

        RuleOutcome noPdbOfOurs = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(release, istiodDeployment(1),
                hpa("istiod", 1, 5)));
        assertFalse(only(noPdbOfOurs, "ha-helm-autoscale-min").remedy().note().contains("PodDisruptionBudget"));

        RuleOutcome chartPdbOff = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiod("1.30.3",
                "{global: {defaultPodDisruptionBudget: {enabled: false}}}"), istiodDeployment(1), hpa("istiod", 1, 5),
                ourPdb("istiod-meshwarden", "{app: istiod, istio: pilot}")));
        assertFalse(only(chartPdbOff, "ha-helm-autoscale-min").remedy().note().contains("PodDisruptionBudget"));

        RuleOutcome replicas = HaMinimumType.TYPE.evaluate(ISTIOD_PDB, snapshot(istiod("1.30.3",
                "{pilot: {autoscaleEnabled: false}}"), istiodDeployment(1),
                ourPdb("istiod-meshwarden", "{app: istiod, istio: pilot}")));
        assertTrue(only(replicas, "ha-helm-replica-count").remedy().note().contains("must go"));
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PodDisruptionBudgets as the real API server treats them, driven through the eviction API with {@code dryRun: All}
 * (kwok runs the pods, the disruption controller of kube-controller-manager computes the PDBs' status): two PDBs on
 * the same pods make every eviction fail, Meshwarden's enforcement retires its own PDB and evictions go through
 * again, and the PDB Meshwarden creates keeps selecting the pods when the pod template's version label changes.
 */
class PdbE2E {
    static final String GW = "gw";
    static final String OURS = GW + "-meshwarden";

    KubernetesClient client;
    String ns;
    List<MeshPolicy> policies;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        ns = ControlPlane.namespace(client, "e2e-pdb-" + ControlPlane.suffix(), Map.of());
        // Selects with app=gw only (E2EObjects.deployment); the pods also carry version and gateway labels.
        client.resource(E2EObjects.deployment(ns, GW, 2, Map.of("istio", "ingressgateway",
                "app.kubernetes.io/version", "1.30.3"))).create();
        awaitReadyPods("1.30.3");
        policies = List.of(E2EObjects.policy("e2e-ha", "HaMinimum", "enforce", List.of(ns),
                "{components: [ingressgateway], minReplicas: 2, autoscaleMin: 2}"));
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    @Test
    void twoPdbsRefuseEvictionAndEnforcementRetiresOursSoEvictionIsAllowedAgain() {
        // Meshwarden creates its PDB (ha-pdb-missing): evictions are allowed, one at a time.
        ApplyResult created = apply(plan());
        assertEquals(Change.CREATE, created.of("PodDisruptionBudget/" + ns + "/" + OURS + "#1").operation());
        awaitDisruptionsAllowed(OURS);
        String pod = pods().get(0).getMetadata().getName();
        assertEquals("allowed", evictDryRun(pod));

        // A chart (or a user) adds its own PDB over the same pods: the eviction API refuses every pod.
        client.resource(new PodDisruptionBudgetBuilder().withNewMetadata().withName(GW).withNamespace(ns)
                .addToLabels("app.kubernetes.io/managed-by", "Helm").endMetadata()
                .withNewSpec().withNewMinAvailable(1).withNewSelector().addToMatchLabels("app", GW).endSelector()
                .endSpec().build()).create();
        awaitDisruptionsAllowed(GW);
        String refused = evictDryRun(pod);
        assertTrue(refused.contains("more than one PodDisruptionBudget"), refused);

        // The next enforcement run sees the overlap and deletes Meshwarden's PDB, and only that.
        Plan plan = plan();
        List<String> ids = plan.changes().stream().map(c -> c.action() + " " + c.id()).collect(Collectors.toList());
        assertEquals(List.of("delete PodDisruptionBudget/" + ns + "/" + OURS + "#1"), ids);
        assertEquals(List.of("ha-pdb-overlapping"), plan.changes().get(0).rules());
        ApplyResult retired = apply(plan);
        assertEquals(ApplyResult.Status.APPLIED, retired.outcomes().get(0).status(),
                () -> retired.outcomes().toString());
        assertNull(pdb(OURS));
        assertNotNull(pdb(GW));
        assertTrue(client.v1().events().inNamespace(ns).list().getItems().stream().anyMatch(e ->
                Applier.EVENT_REASON.equals(e.getReason()) && "Delete".equals(e.getAction())
                        && OURS.equals(e.getInvolvedObject().getName())), "a Delete Event attributes it");

        for (Pod p : pods()) {
            assertEquals("allowed", evictDryRun(p.getMetadata().getName()), "one PDB left: eviction allowed");
        }
        assertEquals(List.of(), plan().changes(), "nothing more to do: the chart's PDB protects the pods");

        // A revert re-creates ours as it was (and with it the overlap, which the next run would retire again).
        List<Reverter.Step> steps = new Reverter(client, Clock.systemUTC()).revert(retired);
        assertEquals("reverted", steps.get(0).result(), steps::toString);
        assertEquals(Map.of("app", GW), pdb(OURS).getSpec().getSelector().getMatchLabels());
    }

    @Test
    void ourPdbKeepsSelectingThePodsAfterTheVersionLabelChanges() {
        apply(plan());
        PodDisruptionBudget ours = pdb(OURS);
        assertEquals(Map.of("app", GW), ours.getSpec().getSelector().getMatchLabels(),
                "the Deployment's spec.selector, not every pod-template label");
        awaitExpectedPods(OURS, 2);

        // A chart upgrade: the version label changes, the pods are replaced.
        client.apps().deployments().inNamespace(ns).withName(GW).edit(d -> {
            d.getSpec().getTemplate().getMetadata().getLabels().put("app.kubernetes.io/version", "1.30.4");
            return d;
        });
        awaitReadyPods("1.30.4");

        awaitExpectedPods(OURS, 2);
        for (Pod p : pods()) {
            assertEquals("1.30.4", p.getMetadata().getLabels().get("app.kubernetes.io/version"));
        }
        awaitDisruptionsAllowed(OURS);
        assertEquals("allowed", evictDryRun(pods().get(0).getMetadata().getName()));
        assertEquals(List.of(), plan().changes(), "the PDB still selects the pods: nothing to create or patch");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    Plan plan() {
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, "e2e-pdb-no-istio").read();
        return Planner.plan(policies, PolicyTypes.EVALUATOR.evaluate(policies, snapshot), snapshot);
    }

    ApplyResult apply(Plan plan) {
        ApplyResult result = new Applier(client, Clock.systemUTC()).apply(plan, false);
        assertEquals(List.of(), result.failed(), () -> result.outcomes().toString());
        return result;
    }

    PodDisruptionBudget pdb(String name) {
        return client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(name).get();
    }

    /** The running pods of the Deployment, only those not being deleted. */
    List<Pod> pods() {
        return client.pods().inNamespace(ns).withLabel("app", GW).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).collect(Collectors.toList());
    }

    void awaitReadyPods(String version) {
        ControlPlane.await("2 ready pods of version " + version, ControlPlane.TIMEOUT, () -> {
            List<Pod> pods = pods();
            return pods.size() == 2 && pods.stream().allMatch(p -> version.equals(p.getMetadata().getLabels()
                    .get("app.kubernetes.io/version")) && p.getStatus() != null && p.getStatus().getConditions()
                    .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
        }, () -> pods().stream().map(p -> p.getMetadata().getName() + " " + p.getMetadata().getLabels() + " "
                + (p.getStatus() == null ? "" : p.getStatus().getPhase())).collect(Collectors.joining("; ")));
    }

    /** The disruption controller has judged the PDB and allows an eviction. */
    void awaitDisruptionsAllowed(String name) {
        ControlPlane.await("PDB " + name + " to allow a disruption", ControlPlane.TIMEOUT, () -> {
            PodDisruptionBudget p = pdb(name);
            return p != null && p.getStatus() != null && p.getStatus().getObservedGeneration() != null
                    && p.getStatus().getObservedGeneration() >= p.getMetadata().getGeneration()
                    && p.getStatus().getDisruptionsAllowed() != null && p.getStatus().getDisruptionsAllowed() >= 1;
        }, () -> String.valueOf(pdb(name) == null ? null : pdb(name).getStatus()));
    }

    void awaitExpectedPods(String name, int n) {
        ControlPlane.await("PDB " + name + " to select " + n + " healthy pods", ControlPlane.TIMEOUT, () -> {
            PodDisruptionBudget p = pdb(name);
            return p != null && p.getStatus() != null && p.getStatus().getExpectedPods() != null
                    && p.getStatus().getExpectedPods() == n && p.getStatus().getCurrentHealthy() != null
                    && p.getStatus().getCurrentHealthy() == n;
        }, () -> String.valueOf(pdb(name) == null ? null : pdb(name).getStatus()));
    }

    /** "allowed", or what the eviction API answered; with dryRun All nothing is evicted either way. */
    String evictDryRun(String pod) {
        Eviction eviction = new EvictionBuilder().withNewMetadata().withName(pod).withNamespace(ns).endMetadata()
                .withDeleteOptions(new DeleteOptionsBuilder().withDryRun("All").build()).build();
        try {
            return client.pods().inNamespace(ns).withName(pod).evict(eviction) ? "allowed"
                    : "429: the disruption budget allows no eviction";
        } catch (KubernetesClientException e) {
            return e.getCode() + ": " + e.getMessage();
        }
    }
}

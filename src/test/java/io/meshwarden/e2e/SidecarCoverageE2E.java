package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.RunningPods;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Running pods as the real controllers make them (Deployment → ReplicaSet with its pod-template-hash, StatefulSet,
 * DaemonSet), read in pages with the phase field selector the real API server evaluates, counted per workload, and
 * SidecarCoverage's report on a namespace labelled for injection after its pods started. No webhook injects here,
 * so every pod lacks istio-proxy: exactly the pods a label added later leaves behind.
 */
class SidecarCoverageE2E {
    static KubernetesClient client;
    static String ns;

    @BeforeAll
    static void setUp() {
        client = ControlPlane.client();
        ns = ControlPlane.namespace(client, "e2e-coverage-" + ControlPlane.suffix(), Map.of());
        client.resource(E2EObjects.deployment(ns, "web", 3, Map.of())).create();
        ControlPlane.apply(client, """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: db, namespace: %s}
                spec:
                  replicas: 2
                  serviceName: db
                  selector: {matchLabels: {app: db}}
                  template:
                    metadata: {labels: {app: db}}
                    spec: {containers: [{name: db, image: %s}]}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: %s}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec: {containers: [{name: agent, image: %s}]}
                """.formatted(ns, E2EObjects.IMAGE, ns, E2EObjects.IMAGE));
        ControlPlane.await("6 running pods in " + ns, () -> running() == 6);
    }

    @AfterAll
    static void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    static long running() {
        return client.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> "Running".equals(p.getStatus().getPhase())
                        && p.getMetadata().getDeletionTimestamp() == null).count();
    }

    static ClusterSnapshot read() {
        // Two items a page: the pods of the whole control plane are read through continue tokens.
        return new LiveSnapshotReader(client, 2, "istio-system").read();
    }

    static RunningPods pods(ClusterSnapshot s, WorkloadKind kind, String name) {
        return s.runningPods(s.workload(kind, ns, name).orElseThrow()).orElseThrow();
    }

    @Test
    void podsAreCountedPerOwningWorkloadAndReportedOnceTheNamespaceIsLabelled() {
        ClusterSnapshot before = read();
        assertEquals(new RunningPods(WorkloadKind.DEPLOYMENT, ns, "web", 3, 0, Map.of()),
                pods(before, WorkloadKind.DEPLOYMENT, "web"));
        assertEquals(2, pods(before, WorkloadKind.STATEFUL_SET, "db").total());
        assertEquals(1, pods(before, WorkloadKind.DAEMON_SET, "agent").total(), "one node");
        MeshPolicy policy = E2EObjects.policy("coverage", "SidecarCoverage", "enforce", List.of(ns), "{}");
        EvaluationResult clean = PolicyTypes.EVALUATOR.evaluate(List.of(policy), before);
        assertEquals(List.of(), clean.findings(), "no injection label: pods without proxy are what they should be");

        client.namespaces().withName(ns).edit(n -> {
            n.getMetadata().getLabels().put("istio-injection", "enabled");
            return n;
        });
        ClusterSnapshot after = read();
        EvaluationResult r = PolicyTypes.EVALUATOR.evaluate(List.of(policy), after);
        assertEquals(3, r.findings().size(), r.findings().toString());
        for (Finding f : r.findings()) {
            assertEquals("coverage-sidecar-missing", f.rule());
            assertEquals(Remedy.ROLLOUT_RESTART, f.remedy().action());
        }
        // Enforce mode: the restarts are reported, never applied.
        Plan plan = Planner.plan(List.of(policy), r, after);
        assertEquals(List.of(), plan.changes());
        assertEquals(3, plan.skipped().size());
    }

    @Test
    void podsOfTwoReplicaSetsOfOneDeploymentCountForTheDeployment() {
        // What kubectl rollout restart writes; the Deployment controller makes a second ReplicaSet.
        client.apps().deployments().inNamespace(ns).withName("web").edit(d -> {
            d.getSpec().getTemplate().getMetadata().setAnnotations(Map.of(Remedy.RESTARTED_AT,
                    "2026-11-30T16:00:00Z"));
            return d;
        });
        ControlPlane.await("web rolled out", () -> {
            Deployment d = client.apps().deployments().inNamespace(ns).withName("web").get();
            return d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                    && d.getStatus().getObservedGeneration() >= d.getMetadata().getGeneration()
                    && Integer.valueOf(3).equals(d.getStatus().getUpdatedReplicas())
                    && Integer.valueOf(3).equals(d.getStatus().getAvailableReplicas())
                    && Integer.valueOf(3).equals(d.getStatus().getReplicas());
        });
        // The old ReplicaSet's pods may still be terminating: they carry a deletionTimestamp and are not counted.
        ControlPlane.await("3 pods of web not being deleted", () -> client.pods().inNamespace(ns)
                .withLabel("app", "web").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).count() == 3);
        ClusterSnapshot s = read();
        List<Pod> pods = client.pods().inNamespace(ns).withLabel("app", "web").list().getItems();
        assertEquals(3, pods(s, WorkloadKind.DEPLOYMENT, "web").total(), pods.stream()
                .map(p -> p.getMetadata().getName() + " " + p.getStatus().getPhase()).toList().toString());
        assertTrue(client.apps().replicaSets().inNamespace(ns).list().getItems().size() >= 2);
    }
}

package io.meshwarden.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.cluster.ClusterSnapshotBuilder;
import io.meshwarden.policy.LabelSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterSnapshotTest {

    private static Workload workload(WorkloadKind kind, String ns, String name, Map<String, String> podLabels) {
        return new Workload(kind, ns, name, null, null, null, podLabels, null, null, null, false, null);
    }

    @Test
    void lookupsFindContiguousRunsRegardlessOfInputOrder() {
        List<Workload> workloads = new ArrayList<>();
        for (String ns : List.of("c", "a", "b")) {
            for (int i = 5; i >= 0; i--) {
                workloads.add(workload(WorkloadKind.DEPLOYMENT, ns, "w" + i, Map.of("app", "w" + i)));
            }
        }
        workloads.add(workload(WorkloadKind.STATEFUL_SET, "b", "w3", Map.of("app", "db")));
        List<Hpa> hpas = List.of(new Hpa("b", "h", "Deployment", "w3", 2, 4, null),
                new Hpa("a", "h", "Deployment", "w3", 1, 3, 1));
        List<Pdb> pdbs = List.of(
                new Pdb("b", "all", new LabelSelector(null, null), "1", null),
                new Pdb("b", "none", null, "1", null),
                new Pdb("b", "db", new LabelSelector(Map.of("app", "db"), null), null, "1"));
        ClusterSnapshot s = new ClusterSnapshot(null, workloads, hpas, pdbs, null, null, null, null);

        assertEquals(7, s.workloadsIn("b").size());
        assertTrue(s.workloadsIn("zz").isEmpty());
        assertTrue(s.workloadsIn("").isEmpty());
        assertEquals("w0", s.workloadsIn("a").get(0).name());

        Workload deploy = s.workload(WorkloadKind.DEPLOYMENT, "b", "w3").orElseThrow();
        Workload sts = s.workload(WorkloadKind.STATEFUL_SET, "b", "w3").orElseThrow();
        assertEquals(WorkloadKind.STATEFUL_SET, sts.kind());
        assertTrue(s.workload(WorkloadKind.DAEMON_SET, "b", "w3").isEmpty());

        assertEquals(2, s.hpaFor(deploy).orElseThrow().minReplicas());
        assertTrue(s.hpaFor(sts).isEmpty(), "kind must match, not just the name");

        assertEquals(List.of("all"), s.pdbsFor(deploy).stream().map(Pdb::name).toList());
        assertEquals(List.of("all", "db"), s.pdbsFor(sts).stream().map(Pdb::name).toList());
        assertEquals(1, s.workloadsOfKind(WorkloadKind.STATEFUL_SET).size());
    }

    @Test
    void selectorOperatorsFollowKubernetesSemantics() {
        Map<String, String> labels = Map.of("app", "cart", "tier", "web");
        assertTrue(req("app", LabelSelector.Operator.In, "cart", "x").matches(labels));
        assertFalse(req("app", LabelSelector.Operator.In, "x").matches(labels));
        assertFalse(req("missing", LabelSelector.Operator.In, "x").matches(labels));
        assertTrue(req("missing", LabelSelector.Operator.NotIn, "x").matches(labels), "absent label satisfies NotIn");
        assertFalse(req("tier", LabelSelector.Operator.NotIn, "web").matches(labels));
        assertTrue(req("tier", LabelSelector.Operator.Exists).matches(labels));
        assertTrue(req("missing", LabelSelector.Operator.DoesNotExist).matches(labels));
        assertEquals(LabelSelector.Operator.NotIn, LabelSelector.Operator.parse("NotIn"));
        assertEquals("DoesNotExist", LabelSelector.Operator.DoesNotExist.name());
        assertTrue(new LabelSelector(Map.of(), List.of()).matches(labels));
    }

    private static LabelSelector.Requirement req(String key, LabelSelector.Operator op, String... values) {
        return new LabelSelector.Requirement(key, op, List.of(values));
    }

    @Test
    void emptySnapshotAnswersEverything() {
        ClusterSnapshot s = ClusterSnapshot.empty();
        assertTrue(s.namespace("x").isEmpty());
        assertTrue(s.meshConfig().isEmpty());
        assertTrue(s.helmRelease("a", "b").isEmpty());
        assertTrue(s.istioResources(IstioKind.TELEMETRY).isEmpty());
    }

    @Test
    void builderSharesEqualLabelMapsAndPdbSelectorReadsV1beta1EmptyAsNone() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        ClusterSnapshotBuilder b = new ClusterSnapshotBuilder();
        for (String name : List.of("one", "two")) {
            b.add(mapper.readTree(("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'%s',"
                    + "'namespace':'n','labels':{'app':'web'}},'spec':{'template':{'metadata':{'labels':"
                    + "{'app':'web'}}}}}").formatted(name).replace('\'', '"')), null);
        }
        b.add(mapper.readTree("{'apiVersion':'policy/v1beta1','kind':'PodDisruptionBudget','metadata':{'name':'p',"
                .replace('\'', '"') + "\"namespace\":\"n\"},\"spec\":{\"selector\":{},\"minAvailable\":1}}"), null);
        ClusterSnapshot s = b.build();
        Workload one = s.workload(WorkloadKind.DEPLOYMENT, "n", "one").orElseThrow();
        Workload two = s.workload(WorkloadKind.DEPLOYMENT, "n", "two").orElseThrow();
        assertTrue(one.labels() == two.labels() && one.labels() == one.podLabels(), "equal maps are shared");
        assertEquals("1", s.pdbsIn("n").get(0).minAvailable());
        assertTrue(s.pdbsFor(one).isEmpty(), "policy/v1beta1 empty selector selects nothing");
    }
}

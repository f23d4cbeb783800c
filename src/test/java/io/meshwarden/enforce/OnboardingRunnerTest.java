package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.FakeClock;
import io.meshwarden.testing.Workloads;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The onboarding run against fabric8's CRUD mock server. The mock runs no controllers and no webhook, so the test's
 * sleeper plays them: a Deployment whose template changed gets new pods (with {@code istio-proxy} sized from the
 * template's annotations where its namespace is labelled for injection, as the injector would, unless the test
 * breaks injection) and a completed rollout status.
 */
class OnboardingRunnerTest {
    static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");
    static final Duration POLL = Duration.ofSeconds(5);

    private MockCluster cluster;
    private KubernetesClient client;
    private final FakeClock clock = new FakeClock(T0);
    /** The injector as the fake controller applies it; false: new pods get no sidecar although they should. */
    private boolean injectorWorks = true;
    /** Run on each sleep after the fake controller, with the sleep's number. */
    private Consumer<Integer> hook = n -> {
    };
    private int sleeps;
    /** Deployments in the order their rollouts started, as the fake controller saw them. */
    private final List<String> rolled = new ArrayList<>();

    @BeforeEach
    void start() {
        cluster = new MockCluster();
        client = cluster.client;
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private final RolloutSleeper sleeper = d -> {
        clock.advance(d);
        controllers();
        hook.accept(++sleeps);
    };

    // ---------------------------------------------------------------- the fake cluster

    private void namespace(String ns, boolean injection) {
        cluster.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + ", labels: {"
                + (injection ? "istio-injection: enabled" : "team: x") + "}}\n");
    }

    private void deployment(String ns, String name, int replicas, boolean proxy) {
        cluster.apply(Workloads.deploymentYaml(ns, name, replicas));
        Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
        pods(d, "old", proxy, Map.of());
        status(d, d.getMetadata().getGeneration(), replicas);
    }

    private void hpa(String ns, String target, int desired) {
        cluster.apply("""
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: %s, namespace: %s}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
                  minReplicas: 1
                  maxReplicas: 10
                """.formatted(target, ns, target));
        Workloads.hpaDesired(client, ns, target, desired);
    }


    private void pods(Deployment d, String hash, boolean proxy, Map<String, String> template) {
        String ns = d.getMetadata().getNamespace();
        String name = d.getMetadata().getName();
        for (int i = 0; i < d.getSpec().getReplicas(); i++) {
            String resources = "{requests: {cpu: " + template.getOrDefault("sidecar.istio.io/proxyCPU", "100m")
                    + ", memory: " + template.getOrDefault("sidecar.istio.io/proxyMemory", "128Mi") + "}}";
            cluster.apply("""
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: %s-%s-%d
                      namespace: %s
                      labels: {app: %s, pod-template-hash: %s}
                      annotations: %s
                      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s-%s, uid: r, controller: true}]
                    spec: {containers: %s}
                    status: {phase: Running}
                    """.formatted(name, hash, i, ns, name, hash,
                    proxy ? "{sidecar.istio.io/status: '{\"revision\":\"default\"}'}" : "{}", name, hash,
                    proxy ? "[{name: app, image: app}, {name: istio-proxy, image: proxyv2, resources: " + resources
                            + "}]" : "[{name: app, image: app}]"));
        }
    }

    private void status(Deployment d, long observed, int replicas) {
        client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).withName(d.getMetadata().getName())
                .editStatus(x -> {
                    x.setStatus(new DeploymentStatus());
                    x.getStatus().setObservedGeneration(observed);
                    x.getStatus().setReplicas(replicas);
                    x.getStatus().setUpdatedReplicas(replicas);
                    x.getStatus().setAvailableReplicas(replicas);
                    x.getStatus().setReadyReplicas(replicas);
                    return x;
                });
    }

    /** The deployment controller, the injector and the kubelet in one step: a changed template rolls out. */
    private void controllers() {
        for (Deployment d : client.apps().deployments().inAnyNamespace().list().getItems()) {
            long generation = d.getMetadata().getGeneration();
            if (d.getStatus().getObservedGeneration() >= generation) {
                continue;
            }
            String ns = d.getMetadata().getNamespace();
            rolled.add(ns + "/" + d.getMetadata().getName());
            for (Pod p : client.pods().inNamespace(ns).withLabel("app", d.getMetadata().getName()).list().getItems()) {
                client.pods().inNamespace(ns).withName(p.getMetadata().getName()).delete();
            }
            Map<String, String> labels = client.namespaces().withName(ns).get().getMetadata().getLabels();
            boolean inject = injectorWorks && labels != null && "enabled".equals(labels.get("istio-injection"));
            Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
            pods(d, "g" + generation, inject, ann == null ? Map.of() : ann);
            status(d, generation, d.getSpec().getReplicas());
        }
    }

    // ---------------------------------------------------------------- running

    private static MeshPolicy coverage(String parameters) {
        return MockCluster.policy("onboard", "SidecarCoverage", "audit", parameters);
    }

    private static final MeshPolicy SIZING = MockCluster.policy("sizing", "ProxySizing", "audit",
            "{requests: {cpu: 50m, memory: 96Mi}}");

    private OnboardingPlan plan(MeshPolicy policy, Instant at) {
        return OnboardingPlanner.plan(policy, List.of(policy, SIZING), cluster.read(), at);
    }

    private final List<List<RolloutOutcome>> batches = new ArrayList<>();

    private OnboardingRunner.Result run(MeshPolicy policy, OnboardingPlan plan, OnboardingProgress start) {
        RolloutConfig budget = OnboardingRunner.budget(RolloutConfig.DEFAULTS.withPollInterval(POLL),
                ((io.meshwarden.evaluate.StagedRestarts) policy.spec().parameters()).halts());
        RolloutRunner rollout = new RolloutRunner(client, new Applier(client, clock), budget, clock, sleeper,
                () -> { });
        return new OnboardingRunner(client, rollout, budget, () -> new LiveSnapshotReader(client).read(), clock,
                sleeper).run(policy, plan, start, batches::add);
    }

    private static OnboardingProgress fresh(OnboardingPlan plan) {
        Set<String> ns = new java.util.LinkedHashSet<>();
        plan.steps().forEach(s -> ns.add(s.change().target().namespace()));
        return OnboardingProgress.start("onboard", "onboarding-1", List.of(), "ann", plan.restartedAt(),
                List.copyOf(ns), List.of(), plan.steps().size(), List.of(), T0.toString());
    }

    private OnboardingProgress annotation(String ns) {
        return OnboardingProgress.fromJson(client.namespaces().withName(ns).get().getMetadata().getAnnotations()
                .get(OnboardingProgress.ANNOTATION));
    }

    private List<Event> events(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    private Map<String, String> template(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get().getSpec().getTemplate()
                .getMetadata().getAnnotations();
    }

    private void threeWorkloads() {
        namespace("shop", true);
        deployment("shop", "big", 3, false);
        deployment("shop", "small", 1, false);
        deployment("shop", "scaled", 1, false);
        hpa("shop", "scaled", 1);
    }

    // ---------------------------------------------------------------- tests

    @Test
    void restartsOneWorkloadAtATimeInPlanOrderSizedAndCheckedThenRecordsDone() {
        threeWorkloads();
        MeshPolicy policy = coverage("{batchSize: 1, pauseSeconds: 60}");
        OnboardingPlan plan = plan(policy, T0);

        OnboardingRunner.Result r = run(policy, plan, fresh(plan));

        assertNull(r.halt(), () -> r.halt().describe());
        assertEquals(List.of("shop/small", "shop/big", "shop/scaled"), rolled, "non-HPA first, smallest first");
        assertEquals(3, r.outcomes().stream().filter(o -> o.status() == RolloutOutcome.Status.APPLIED).count());
        for (String name : List.of("small", "big", "scaled")) {
            Map<String, String> t = template("shop", name);
            assertEquals(plan.restartedAt(), t.get(Remedy.RESTARTED_AT), name);
            assertEquals("50m", t.get("sidecar.istio.io/proxyCPU"), name + ": sized in the same change");
            for (Pod p : client.pods().inNamespace("shop").withLabel("app", name).list().getItems()) {
                assertEquals("50m", p.getSpec().getContainers().get(1).getResources().getRequests().get("cpu")
                        .toString(), p.getMetadata().getName());
            }
        }
        OnboardingProgress p = annotation("shop");
        assertEquals(OnboardingProgress.DONE, p.state());
        assertEquals("3 of 3 workloads", p.progress());
        assertEquals(List.of("Deployment shop/small", "Deployment shop/big", "Deployment shop/scaled"), p.done());
        assertTrue(p.notes().contains(OnboardingRunner.NO_METRICS), p.notes().toString());
        assertEquals(3, batches.size(), "the service is told after each batch");
        assertEquals(3, events("shop", Applier.EVENT_REASON).size(), "one Event per restart");
        // Paused twice between the three batches (each rollout takes one poll here).
        assertTrue(Duration.between(T0, clock.instant()).compareTo(Duration.ofSeconds(120)) >= 0,
                clock.instant().toString());
    }

    @Test
    void newPodsWithoutTheSidecarHaltWithAnEventAndDeferTheRest() {
        threeWorkloads();
        injectorWorks = false;
        MeshPolicy policy = coverage("{batchSize: 1, halt: {deadlineSeconds: 20}}");
        OnboardingPlan plan = plan(policy, T0);

        OnboardingRunner.Result r = run(policy, plan, fresh(plan));

        assertNotNull(r.halt());
        assertEquals(RolloutHaltReason.SIDECAR_MISMATCH, r.halt().reason());
        assertEquals("Deployment shop/small", r.halt().workload().toString());
        assertTrue(r.halt().detail().contains("coverage-sidecar-missing"), r.halt().detail());
        assertEquals(List.of("shop/small"), rolled, "nothing restarted after the halt");
        assertEquals(RolloutOutcome.Status.DEFERRED, r.outcomes().get(2).status());
        List<Event> halted = events("shop", RolloutRunner.HALT_EVENT_REASON);
        assertEquals(1, halted.size());
        assertTrue(halted.get(0).getMessage().contains("SIDECAR_MISMATCH"), halted.get(0).getMessage());
        assertEquals("small", halted.get(0).getInvolvedObject().getName());
        OnboardingProgress p = annotation("shop");
        assertEquals(OnboardingProgress.HALTED, p.state());
        assertEquals("SIDECAR_MISMATCH", p.halt().reason());
        assertEquals(List.of("Deployment shop/small"), p.current());
        assertEquals("0 of 3 workloads", p.progress());
    }

    @Test
    void anHpaSurgeDuringARestartHaltsWithThePolicysThreshold() {
        threeWorkloads();
        MeshPolicy policy = coverage("{batchSize: 2, halt: {hpaSurgePercent: 100}}");
        hook = n -> {
            if (rolled.contains("shop/scaled")) {
                Workloads.hpaDesired(client, "shop", "scaled", 3);
            }
        };
        OnboardingPlan plan = plan(policy, T0);

        OnboardingRunner.Result r = run(policy, plan, fresh(plan));

        assertNotNull(r.halt());
        assertEquals(RolloutHaltReason.HPA_SURGE, r.halt().reason());
        assertTrue(r.halt().detail().contains("from 1 to 3 (more than 100%)"), r.halt().detail());
        OnboardingProgress p = annotation("shop");
        assertEquals(OnboardingProgress.HALTED, p.state());
        assertEquals("HPA_SURGE", p.halt().reason());
        assertEquals(List.of("Deployment shop/small", "Deployment shop/big"), p.done(), "the first batch passed");
        assertEquals("2 of 3 workloads", p.progress());
        assertEquals(1, events("shop", RolloutRunner.HALT_EVENT_REASON).size());
    }

    @Test
    void aResumeSkipsWhatIsDoneAndWaitsForARestartAlreadySentInsteadOfSendingItAgain() {
        threeWorkloads();
        MeshPolicy policy = coverage("{batchSize: 1}");
        OnboardingPlan first = plan(policy, T0);
        // The first process restarted "small" and "big", then died after "big"'s patch, before its rollout ended.
        for (String name : List.of("small", "big")) {
            OnboardingPlan.Step s = first.steps().stream().filter(x -> x.change().target().name().equals(name))
                    .findFirst().orElseThrow();
            assertEquals(ApplyResult.Status.APPLIED, new Applier(client, clock).apply(new Plan(List.of(s.change()),
                    List.of()), false).outcomes().get(0).status());
            if (name.equals("small")) {
                controllers();
            }
        }
        OnboardingProgress recorded = fresh(first).done(List.of("Deployment shop/small"), T0.toString())
                .current(List.of("Deployment shop/big"), T0.toString());
        rolled.clear();
        int eventsBefore = events("shop", Applier.EVENT_REASON).size();

        // The resume plans again from the cluster with the recorded restart time.
        OnboardingPlan again = plan(policy, Instant.parse(recorded.restartedAt()));
        assertEquals(List.of("big", "scaled"), again.steps().stream().map(s -> s.change().target().name()).toList(),
                "small is done: no finding left");
        OnboardingProgress start = OnboardingProgress.start("onboard", "onboarding-2", List.of("onboarding-1"), "ann",
                again.restartedAt(), recorded.namespaces(), recorded.done(), 3, List.of(), T0.toString());
        OnboardingRunner.Result r = run(policy, again, start);

        assertNull(r.halt(), () -> r.halt().describe());
        assertEquals(RolloutOutcome.Status.UNCHANGED, r.outcomes().get(0).status(), "big's restart is not sent again");
        assertEquals(RolloutOutcome.Status.APPLIED, r.outcomes().get(1).status());
        assertEquals(List.of("shop/big", "shop/scaled"), rolled, "big rolled out (waited for), then scaled");
        assertEquals(eventsBefore + 1, events("shop", Applier.EVENT_REASON).size(), "one new write: scaled");
        OnboardingProgress p = annotation("shop");
        assertEquals(OnboardingProgress.DONE, p.state());
        assertEquals("3 of 3 workloads", p.progress());
        assertEquals(List.of("onboarding-1"), p.previousRuns());
    }

    @Test
    void theReverseRestartsTheSameWayAndSaysWhichWorkloadsLoseMtls() {
        namespace("legacy", false);
        deployment("legacy", "old", 2, true);
        deployment("legacy", "older", 1, true);
        MeshPolicy policy = coverage("{batchSize: 1}");
        OnboardingPlan plan = plan(policy, T0);
        assertEquals(List.of("Deployment legacy/older", "Deployment legacy/old"), plan.losesSidecar());
        OnboardingProgress start = OnboardingProgress.start("onboard", "onboarding-1", List.of(), "ann",
                plan.restartedAt(), List.of("legacy"), List.of(), 2,
                plan.notes().stream().map(io.meshwarden.evaluate.Note::message).toList(), T0.toString());

        OnboardingRunner.Result r = run(policy, plan, start);

        assertNull(r.halt(), () -> r.halt().describe());
        assertEquals(List.of("legacy/older", "legacy/old"), rolled);
        for (Pod p : client.pods().inNamespace("legacy").list().getItems()) {
            assertEquals(1, p.getSpec().getContainers().size(), p.getMetadata().getName() + " lost its sidecar");
        }
        assertFalse(template("legacy", "old").containsKey("sidecar.istio.io/proxyCPU"), "no sizing on the reverse");
        OnboardingProgress p = annotation("legacy");
        assertEquals("2 of 2 workloads", p.progress());
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("mTLS") && n.contains("legacy/old")), p.notes()
                .toString());
    }

    @Test
    void whereTheMetricsApiServesPodMetricsAProxyOverItsRequestTimesTheFactorHalts() {
        namespace("shop", true);
        deployment("shop", "small", 1, false);
        deployment("shop", "big", 2, false);
        cluster.dispatcher.serve("/apis/metrics.k8s.io/v1beta1", """
                {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1",
                 "resources":[{"name":"pods","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}""");
        // small's new pod (sized 50m by the policy) uses 120m: more than 2 x 50m.
        cluster.dispatcher.serve("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/small-g2-0", """
                {"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1",
                 "metadata":{"name":"small-g2-0","namespace":"shop"},"timestamp":"2026-11-30T12:00:00Z",
                 "window":"30s","containers":[{"name":"app","usage":{"cpu":"5m","memory":"10Mi"}},
                 {"name":"istio-proxy","usage":{"cpu":"120m","memory":"40Mi"}}]}""");
        MeshPolicy policy = coverage("{batchSize: 1}");
        OnboardingPlan plan = plan(policy, T0);

        OnboardingRunner.Result r = run(policy, plan, fresh(plan));

        assertNotNull(r.halt());
        assertEquals(RolloutHaltReason.PROXY_CPU, r.halt().reason());
        assertEquals("pod small-g2-0: istio-proxy uses 120m of CPU, more than 2 x its request 0.05",
                r.halt().detail());
        assertEquals(List.of("shop/small"), rolled);
        assertFalse(annotation("shop").notes().contains(OnboardingRunner.NO_METRICS));
        assertEquals(1, events("shop", RolloutRunner.HALT_EVENT_REASON).size());
    }

    @Test
    void progressSurvivesItsJsonAndIgnoresHandEdits() {
        OnboardingProgress p = OnboardingProgress.start("onboard", "r1", List.of(), "ann", "2026-11-30T12:00:00Z",
                List.of("a", "a", "b"), List.of("Deployment a/x"), 4, List.of("n"), "t")
                .halted(new OnboardingProgress.Halt("HPA_SURGE", "Deployment a/y", "d", "t"), "t");
        OnboardingProgress back = OnboardingProgress.fromJson(p.toJson());
        assertEquals(p, back);
        assertEquals(List.of("a", "b"), back.namespaces());
        assertEquals(3, back.left());
        assertEquals("1 of 4 workloads", back.progress());
        assertNull(OnboardingProgress.fromJson("{not json"));
        assertNull(OnboardingProgress.fromJson("{\"run\":\"x\"}"));
    }
}

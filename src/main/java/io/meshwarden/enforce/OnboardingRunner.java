package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Carries out an {@link OnboardingPlan} batch by batch: each batch's restarts go to the {@link RolloutRunner} as
 * one plan (the change budget, its writes, Events and halts unchanged), then the batch's new pods are checked
 * against the policy on a fresh read of the cluster (each restarted workload must have no coverage finding left:
 * every running pod carries the sidecar injection gives it now, or none on the reverse) and, where the metrics API
 * serves pod metrics, the new proxies' CPU against their request. Progress is written to the cluster after every
 * step ({@link OnboardingStore}), so that the run can be resumed; a halt stops it with an Event on the workload.
 *
 * <p>On a resume the plan is recomputed from the cluster with the recorded restart time: a workload whose restart
 * completed has no finding and is not in it; one whose template already carries the time is UNCHANGED for the
 * applier, and is waited for here instead of restarted again.
 */
public final class OnboardingRunner {
    static final String METRICS_GROUP = "metrics.k8s.io";
    static final String NO_METRICS = "the metrics API (" + METRICS_GROUP + ") serves no pod metrics here: the new "
            + "proxies' CPU use was not compared with their request (halt.proxyCpuOverRequest not checked)";
    private static final String PROXY = "istio-proxy";

    private final KubernetesClient client;
    private final RolloutRunner rollout;
    private final RolloutConfig config;
    private final Supplier<ClusterSnapshot> reader;
    private final OnboardingStore store;
    private final Clock clock;
    private final RolloutSleeper sleeper;
    private BooleanSupplier mayWrite = () -> true;

    /**
     * @param rollout the budget, configured with the policy's halt values ({@link #budget})
     * @param reader  reads the cluster afresh, for the check after each batch
     */
    public OnboardingRunner(KubernetesClient client, RolloutRunner rollout, RolloutConfig config,
            Supplier<ClusterSnapshot> reader, Clock clock, RolloutSleeper sleeper) {
        this.client = Objects.requireNonNull(client, "client");
        this.rollout = Objects.requireNonNull(rollout, "rollout");
        this.config = Objects.requireNonNull(config, "config");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.store = new OnboardingStore(client);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** Asked before each write of progress; the rollout runner has its own guard for the workloads. */
    public OnboardingRunner guardedBy(BooleanSupplier guard) {
        this.mayWrite = Objects.requireNonNull(guard, "guard");
        return this;
    }

    /** The rollout budget with the policy's halt values in place of the deadline, crash-loop and surge settings. */
    public static RolloutConfig budget(RolloutConfig base, StagedRestarts.Halts h) {
        return base.withDeadline(Duration.ofSeconds(h.deadlineSeconds())).withCrashLoopRestarts(h.crashLoopRestarts())
                .withHpaSurgePercent(h.hpaSurgePercent());
    }

    /**
     * What the run did.
     *
     * @param outcomes every change of the plan, in order: those of batches not reached are DEFERRED
     * @param halt     null when every batch passed
     */
    public record Result(List<RolloutOutcome> outcomes, RolloutHalt halt, OnboardingProgress progress,
            List<String> storeErrors) {
        public Result {
            outcomes = List.copyOf(outcomes);
            storeErrors = List.copyOf(storeErrors);
        }
    }

    /**
     * @param start     the progress to continue from: {@link OnboardingProgress#start} with the workloads already
     *                  done (none for a new onboarding) and the plan's namespaces
     * @param onBatch   told of the outcomes so far after each batch (the service records the run as it goes)
     */
    public Result run(MeshPolicy policy, OnboardingPlan plan, OnboardingProgress start,
            Consumer<List<RolloutOutcome>> onBatch) {
        StagedRestarts staging = (StagedRestarts) policy.spec().parameters();
        List<RolloutOutcome> outcomes = new ArrayList<>();
        List<String> storeErrors = new ArrayList<>();
        OnboardingProgress p = start;
        boolean metricsNoted = false;
        for (int b = 1; b <= plan.batches(); b++) {
            List<OnboardingPlan.Step> steps = plan.batch(b);
            List<String> names = steps.stream().map(s -> s.change().target().toString()).toList();
            p = save(p.current(names, now()), storeErrors);
            RolloutResult r = rollout.run(new Plan(steps.stream().map(OnboardingPlan.Step::change).toList(),
                    List.of()), false);
            outcomes.addAll(r.outcomes());
            onBatch.accept(List.copyOf(outcomes));
            RolloutHalt halt = r.halt();
            List<OnboardingPlan.Step> restarted = steps.stream().filter(s -> restarted(r, s)).toList();
            if (halt == null) {
                halt = awaitUnchanged(r, steps);
            }
            if (halt == null) {
                halt = checkSidecars(policy, restarted, plan, b);
            }
            if (halt == null && !metricsServed()) {
                if (!metricsNoted) {
                    p = p.withNotes(List.of(NO_METRICS));
                    metricsNoted = true;
                }
            } else if (halt == null) {
                halt = checkProxyCpu(restarted, staging.halts().proxyCpuOverRequest(), plan, b);
            }
            if (halt != null) {
                p = save(p.halted(new OnboardingProgress.Halt(halt.reason().name(),
                        halt.workload() == null ? null : halt.workload().toString(), halt.detail(), now()), now()),
                        storeErrors);
                return new Result(deferRest(outcomes, plan, b, halt), halt, p, storeErrors);
            }
            // FAILED changes (e.g. refused by the API server) are not done: they stay in "current" of no batch and
            // in the plan of a resume.
            p = save(p.done(restarted.stream().map(s -> s.change().target().toString()).toList(), now()),
                    storeErrors);
            if (b < plan.batches() && staging.pauseSeconds() > 0) {
                try {
                    sleeper.sleep(Duration.ofSeconds(staging.pauseSeconds()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    RolloutHalt h = new RolloutHalt(RolloutHaltReason.INTERRUPTED, null, null,
                            "interrupted during the pause between batches", null);
                    p = save(p.halted(new OnboardingProgress.Halt(h.reason().name(), null, h.detail(), now()), now()),
                            storeErrors);
                    return new Result(deferRest(outcomes, plan, b, h), h, p, storeErrors);
                }
            }
        }
        return new Result(outcomes, null, save(p.finished(now()), storeErrors), storeErrors);
    }

    private static boolean restarted(RolloutResult r, OnboardingPlan.Step s) {
        RolloutOutcome.Status st = r.of(s.change().id()).status();
        return st == RolloutOutcome.Status.APPLIED || st == RolloutOutcome.Status.UNCHANGED;
    }

    private OnboardingProgress save(OnboardingProgress p, List<String> errors) {
        // A replica that lost the lease writes nothing: the new leader owns the record now.
        if (mayWrite.getAsBoolean()) {
            errors.addAll(store.write(p));
        }
        return p;
    }

    private String now() {
        return clock.instant().toString();
    }

    private List<RolloutOutcome> deferRest(List<RolloutOutcome> outcomes, OnboardingPlan plan, int batch,
            RolloutHalt halt) {
        List<RolloutOutcome> out = new ArrayList<>(outcomes);
        for (OnboardingPlan.Step s : plan.steps()) {
            if (s.batch() > batch) {
                out.add(new RolloutOutcome(s.change(), RolloutOutcome.Status.DEFERRED, null,
                        "deferred: onboarding halted, " + halt.describe()));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- resume: restarts already made

    /**
     * A step UNCHANGED by the applier was restarted before (a resume): its rollout is waited for as the budget
     * waits for its own, up to the deadline.
     */
    private RolloutHalt awaitUnchanged(RolloutResult r, List<OnboardingPlan.Step> steps) {
        for (OnboardingPlan.Step s : steps) {
            if (r.of(s.change().id()).status() != RolloutOutcome.Status.UNCHANGED
                    || !RolloutReadiness.tracked(s.change().target())) {
                continue;
            }
            ResourceRef t = s.change().target();
            Instant started = clock.instant();
            String pending = "status not read yet";
            while (true) {
                try {
                    GenericKubernetesResource live = client.genericKubernetesResources(t.apiVersion(), t.kind())
                            .inNamespace(t.namespace()).withName(t.name()).get();
                    if (live == null) {
                        return new RolloutHalt(RolloutHaltReason.WORKLOAD_GONE, s.change().id(), t,
                                t + " was deleted during its rollout", null);
                    }
                    ObjectNode json = client.getKubernetesSerialization().convertValue(live, ObjectNode.class);
                    pending = RolloutReadiness.pending(t.kind(), json,
                            json.path("metadata").path("generation").asLong(0));
                    if (pending == null) {
                        break;
                    }
                } catch (KubernetesClientException e) {
                    pending = "status unreadable: " + e.getMessage();
                }
                Duration elapsed = Duration.between(started, clock.instant());
                if (elapsed.compareTo(config.deadline()) >= 0) {
                    String detail = "restarted before the resume, not rolled out after " + elapsed + " (deadline "
                            + config.deadline() + "): " + pending;
                    return new RolloutHalt(RolloutHaltReason.DEADLINE_EXCEEDED, s.change().id(), t, detail,
                            RolloutRunner.haltEvent(client, clock, s.change(), RolloutHaltReason.DEADLINE_EXCEEDED,
                                    detail, "the onboarding waits for a resume"));
                }
                try {
                    sleeper.sleep(config.pollInterval());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new RolloutHalt(RolloutHaltReason.INTERRUPTED, s.change().id(), t,
                            "interrupted while waiting for the rollout", null);
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- checks after a batch

    /**
     * Each restarted workload must have no finding of the policy left on a fresh read. Pods of the old template
     * may take a moment to go after the rollout completed (a terminating pod is not counted, but the controller
     * marks them one by one), so a mismatch is read again for a short while before it halts.
     */
    private RolloutHalt checkSidecars(MeshPolicy policy, List<OnboardingPlan.Step> restarted, OnboardingPlan plan,
            int batch) {
        if (restarted.isEmpty()) {
            return null;
        }
        Duration grace = config.deadline().compareTo(Duration.ofSeconds(30)) < 0 ? config.deadline()
                : Duration.ofSeconds(30);
        Instant until = clock.instant().plus(grace);
        while (true) {
            Map<ResourceRef, String> left = remaining(policy, restarted);
            if (left.isEmpty()) {
                return null;
            }
            if (!clock.instant().isBefore(until)) {
                Map.Entry<ResourceRef, String> first = left.entrySet().iterator().next();
                OnboardingPlan.Step step = restarted.stream().filter(s -> s.change().target().equals(first.getKey()))
                        .findFirst().orElseThrow();
                String detail = "after its restart rolled out, " + first.getValue();
                return haltWithEvent(RolloutHaltReason.SIDECAR_MISMATCH, step, detail, plan, batch);
            }
            try {
                sleeper.sleep(config.pollInterval());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new RolloutHalt(RolloutHaltReason.INTERRUPTED, null, null,
                        "interrupted while checking the new pods", null);
            }
        }
    }

    /** The restarted workloads the policy still reports on a fresh read, with the first finding's message. */
    private Map<ResourceRef, String> remaining(MeshPolicy policy, List<OnboardingPlan.Step> restarted) {
        ClusterSnapshot snapshot = reader.get();
        Map<ResourceRef, String> out = new LinkedHashMap<>();
        List<Finding> findings = new ArrayList<>(Evaluator.evaluate(policy, snapshot).findings());
        findings.sort(Finding.ORDER);
        for (OnboardingPlan.Step s : restarted) {
            ResourceRef t = s.change().target();
            for (Finding f : findings) {
                Remedy r = f.remedy();
                ResourceRef ft = r == null || r.target() == null ? f.resource() : r.target();
                if (t.equals(ft) && r != null && Remedy.ROLLOUT_RESTART.equals(r.action())) {
                    out.putIfAbsent(t, f.rule() + ": " + f.message());
                }
            }
        }
        return out;
    }

    private RolloutHalt haltWithEvent(RolloutHaltReason reason, OnboardingPlan.Step step, String detail,
            OnboardingPlan plan, int batch) {
        long left = plan.steps().stream().filter(s -> s.batch() > batch).count();
        String eventError = RolloutRunner.haltEvent(client, clock, step.change(), reason, detail, left
                + " workload(s) of the onboarding not restarted; it waits for a resume");
        return new RolloutHalt(reason, step.change().id(), step.change().target(), detail, eventError);
    }

    /**
     * Compares the CPU use of each restarted workload's {@code istio-proxy} containers, as the metrics API reports
     * it, with their request times {@code factor}; the first proxy over it halts the run. A pod the metrics API has
     * no sample of yet (it samples every few seconds) is not judged.
     */
    private RolloutHalt checkProxyCpu(List<OnboardingPlan.Step> restarted, BigDecimal factor, OnboardingPlan plan,
            int batch) {
        for (OnboardingPlan.Step s : restarted) {
            if (!s.sidecarAfter()) {
                continue;
            }
            ResourceRef t = s.change().target();
            try {
                GenericKubernetesResource live = client.genericKubernetesResources(t.apiVersion(), t.kind())
                        .inNamespace(t.namespace()).withName(t.name()).get();
                ObjectNode json = live == null ? null
                        : client.getKubernetesSerialization().convertValue(live, ObjectNode.class);
                if (json == null || !json.path("spec").path("selector").path("matchLabels").isObject()) {
                    continue;
                }
                LabelSelector selector = client.getKubernetesSerialization()
                        .convertValue(json.path("spec").path("selector"), LabelSelector.class);
                for (Pod pod : client.pods().inNamespace(t.namespace()).withLabelSelector(selector).list()
                        .getItems()) {
                    String over = overRequest(pod, factor);
                    if (over != null) {
                        return haltWithEvent(RolloutHaltReason.PROXY_CPU, s, over, plan, batch);
                    }
                }
            } catch (KubernetesClientException e) {
                // Metrics that cannot be read are no verdict: the rollout itself was checked.
                continue;
            }
        }
        return null;
    }

    private boolean metricsServed() {
        try {
            // The resource list, not the group: a group whose metrics server is down serves no pods resource.
            var resources = client.getApiResources(METRICS_GROUP + "/v1beta1");
            return resources != null && resources.getResources() != null
                    && resources.getResources().stream().anyMatch(r -> "pods".equals(r.getName()));
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    private String overRequest(Pod pod, BigDecimal factor) {
        BigDecimal request = null;
        for (var c : pod.getSpec().getContainers()) {
            if (PROXY.equals(c.getName()) && c.getResources() != null && c.getResources().getRequests() != null
                    && c.getResources().getRequests().get("cpu") != null) {
                request = c.getResources().getRequests().get("cpu").getNumericalAmount();
            }
        }
        if (pod.getSpec().getInitContainers() != null) {
            for (var c : pod.getSpec().getInitContainers()) {
                if (PROXY.equals(c.getName()) && c.getResources() != null && c.getResources().getRequests() != null
                        && c.getResources().getRequests().get("cpu") != null) {
                    request = c.getResources().getRequests().get("cpu").getNumericalAmount();
                }
            }
        }
        if (request == null || request.signum() == 0) {
            return null;
        }
        GenericKubernetesResource metrics = client.genericKubernetesResources(METRICS_GROUP + "/v1beta1",
                "PodMetrics").inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                .get();
        if (metrics == null) {
            return null;
        }
        ObjectNode m = client.getKubernetesSerialization().convertValue(metrics, ObjectNode.class);
        for (var c : m.path("containers")) {
            if (PROXY.equals(c.path("name").asText())) {
                String usage = c.path("usage").path("cpu").asText("");
                if (usage.isEmpty()) {
                    continue;
                }
                BigDecimal used = new Quantity(usage).getNumericalAmount();
                if (used.compareTo(request.multiply(factor)) > 0) {
                    return "pod " + pod.getMetadata().getName() + ": istio-proxy uses " + usage + " of CPU, more than "
                            + factor.stripTrailingZeros().toPlainString() + " x its request " + request
                            .stripTrailingZeros().toPlainString();
                }
            }
        }
        return null;
    }
}

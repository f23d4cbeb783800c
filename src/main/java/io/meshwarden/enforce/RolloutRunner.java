package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReference;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.model.ResourceRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Applies a {@link Plan} the opposite way to the seed incident (a namespace labelled for injection, every pod
 * re-created at once, sidecars over their requests, the HPA scaling without end): changes that restart pods go
 * through a change budget, a few workloads at a time, each watched until its rollout completed; the rollout halts,
 * deferring everything not yet started, as soon as one workload misses its deadline, crash-loops or makes its HPA
 * surge. Changes that restart nothing are applied first, only paced by the write limiter.
 *
 * <p>Every write goes through {@link Applier} one change at a time, so its guarantees (optimistic concurrency,
 * foreign objects untouched, Events) hold unchanged. Single-threaded: in-flight rollouts are polled in turn.
 */
public final class RolloutRunner {
    public static final String HALT_EVENT_REASON = "MeshwardenRolloutHalted";
    private static final int MAX_EVENT_MESSAGE = 1024;
    private static final String CRASH_LOOP_BACK_OFF = "CrashLoopBackOff";
    private static final String LEADERSHIP_LOST = "this replica is no longer the leader; it sent no further writes";

    private final KubernetesClient client;
    private Applier applier;
    private final RolloutConfig config;
    private final Clock clock;
    private final RolloutSleeper sleeper;
    private final RolloutRateLimiter limiter;
    /** Bounds the reads before a pod-restarting change, like the applier's reads. */
    private final ApiRetry retry;
    /** The client sending each request once, for the reads {@link #retry} repeats. */
    private final KubernetesClient once;
    private BooleanSupplier mayWrite = () -> true;

    public RolloutRunner(KubernetesClient client, RolloutConfig config) {
        this(client, config, ApiRetry.DEFAULT);
    }

    /** @param retry bounds the applier's retries of transient API failures */
    public RolloutRunner(KubernetesClient client, RolloutConfig config, ApiRetry retry) {
        this(client, new Applier(client, Clock.systemUTC(), retry), config, Clock.systemUTC(), RolloutSleeper.SYSTEM,
                RolloutRateLimiter.perSecond(config.writesPerSecond(), Clock.systemUTC(), RolloutSleeper.SYSTEM), retry);
    }

    /**
     * Asked before every write, here and by the applier immediately before each request: when it answers false
     * (this replica lost the leader lease) the run halts with {@link RolloutHaltReason#LEADERSHIP_LOST} and the
     * remaining changes are deferred, unsent.
     */
    public RolloutRunner guardedBy(BooleanSupplier guard) {
        this.mayWrite = Objects.requireNonNull(guard, "guard");
        this.applier = applier.guardedBy(guard);
        return this;
    }

    /** Applying cannot go on: the guard forbade a write, or the API server kept failing past the retries. */
    private static final class Stop extends RuntimeException {
        final RolloutHaltReason reason;
        final Change change;
        /** What happened to {@link #change}; null when nothing of it was sent. */
        final Outcome outcome;
        final String detail;

        Stop(RolloutHaltReason reason, Change change, Outcome outcome, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
            this.change = change;
            this.outcome = outcome;
            this.detail = detail;
        }
    }

    /**
     * @param clock   measures deadlines and stamps the halt Events
     * @param sleeper waits between polls
     * @param limiter paces every write of the plan (not the Events, nor reads)
     */
    public RolloutRunner(KubernetesClient client, Applier applier, RolloutConfig config, Clock clock,
            RolloutSleeper sleeper, RolloutRateLimiter limiter) {
        this(client, applier, config, clock, sleeper, limiter, ApiRetry.NONE);
    }

    /** @param retry bounds the reads of a workload's state before its change (the applier has its own) */
    public RolloutRunner(KubernetesClient client, Applier applier, RolloutConfig config, Clock clock,
            RolloutSleeper sleeper, RolloutRateLimiter limiter, ApiRetry retry) {
        this.retry = Objects.requireNonNull(retry, "retry");
        this.once = retry == ApiRetry.NONE ? client : ApiRetry.singleAttempt(client);
        this.client = Objects.requireNonNull(client, "client");
        this.applier = Objects.requireNonNull(applier, "applier");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    /** Writes one change: the applier for a run, the reverter for a revert. */
    @FunctionalInterface
    private interface Write {
        Outcome write(Change c);
    }

    /** @param dryRun judge every change as the applier's dry run does; write nothing, wait for nothing */
    public RolloutResult run(Plan plan, boolean dryRun) {
        List<Change> changes = plan.changes();
        if (dryRun) {
            RolloutOutcome[] out = new RolloutOutcome[changes.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = RolloutOutcome.of(applyOne(changes.get(i), true));
            }
            return new RolloutResult(true, List.of(out), null);
        }
        return execute(changes, c -> applyOne(c, false));
    }

    /**
     * Carries out a checked revert through the same budget and halts as a run: objects whose revert restarts
     * nothing first, then the pod-template reverts one workload at a time (by default), each watched until its
     * rollout completed. An outcome APPLIED means reverted.
     */
    public RolloutResult revert(Reverter.Prepared revert) {
        return execute(revert.changes(), c -> {
            if (!mayWrite.getAsBoolean()) {
                throw new Stop(RolloutHaltReason.LEADERSHIP_LOST, c, null, LEADERSHIP_LOST);
            }
            return revert.write(c);
        });
    }

    private RolloutResult execute(List<Change> changes, Write write) {
        RolloutOutcome[] out = new RolloutOutcome[changes.size()];
        RolloutHalt halt = null;
        try {
            // Plans put these first already; a plan built or edited elsewhere must not make them wait for a rollout.
            for (int i = 0; i < out.length && halt == null; i++) {
                if (!changes.get(i).restartsPods()) {
                    try {
                        limiter.acquire();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        halt = new RolloutHalt(RolloutHaltReason.INTERRUPTED, null, null, "interrupted", null);
                        break;
                    }
                    out[i] = RolloutOutcome.of(write.write(changes.get(i)));
                }
            }
            if (halt == null) {
                halt = rollOut(changes, out, write);
            }
        } catch (Stop e) {
            if (e.outcome != null) {
                out[changes.indexOf(e.change)] = RolloutOutcome.of(e.outcome);
            }
            halt = new RolloutHalt(e.reason, e.change.id(), e.change.target(), e.detail, null);
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                out[i] = new RolloutOutcome(changes.get(i), RolloutOutcome.Status.DEFERRED, null,
                        "deferred: rollout halted, " + halt.describe());
            }
        }
        return new RolloutResult(false, List.of(out), halt);
    }

    private Outcome applyOne(Change c, boolean dryRun) {
        if (!dryRun && !mayWrite.getAsBoolean()) {
            throw new Stop(RolloutHaltReason.LEADERSHIP_LOST, c, null, LEADERSHIP_LOST);
        }
        try {
            return applier.apply(new Plan(List.of(c), List.of()), dryRun).outcomes().get(0);
        } catch (ApplyStopped e) {
            if (e.reason() == ApplyStopped.Reason.LEADERSHIP_LOST) {
                throw new Stop(RolloutHaltReason.LEADERSHIP_LOST, c, e.outcome(), LEADERSHIP_LOST);
            }
            throw new Stop(RolloutHaltReason.API_UNAVAILABLE, c, e.outcome(), e.getMessage()
                    + "; the changes not attempted are left to the next run");
        }
    }

    // ---------------------------------------------------------------- budget

    /** One workload being restarted. */
    private static final class Watch {
        final int index;
        final Change change;
        final Instant started;
        final LabelSelector selector;
        /** Containers seen before the change, "podUid/container", with their restart counts. */
        final Map<String, Integer> restarts;
        /** Containers already crash-looping before the change: the change is not to blame for them. */
        final Set<String> crashing;
        final String hpaName;
        final int hpaBefore;
        long generation = -1;
        String lastPending = "status not read yet";

        Watch(int index, Change change, Instant started, Baseline b) {
            this.index = index;
            this.change = change;
            this.started = started;
            this.selector = b.selector;
            this.restarts = b.restarts;
            this.crashing = b.crashing;
            this.hpaName = b.hpaName;
            this.hpaBefore = b.hpaBefore;
        }
    }

    private static final class Baseline {
        LabelSelector selector;
        final Map<String, Integer> restarts = new HashMap<>();
        final Set<String> crashing = new HashSet<>();
        String hpaName;
        int hpaBefore;
    }

    /** Returns the halt, or null when every pod-restarting change was attempted. */
    private RolloutHalt rollOut(List<Change> changes, RolloutOutcome[] out, Write write) {
        LinkedList<Integer> pending = new LinkedList<>();
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).restartsPods()) {
                pending.add(i);
            }
        }
        List<Watch> inFlight = new ArrayList<>();
        while (!pending.isEmpty() || !inFlight.isEmpty()) {
            Iterator<Integer> it = pending.iterator();
            while (it.hasNext() && inFlight.size() < config.maxConcurrent()) {
                int i = it.next();
                Change c = changes.get(i);
                if (!hasRoom(inFlight, c.target())) {
                    continue;
                }
                it.remove();
                try {
                    Watch w = start(i, c, out, write);
                    if (w != null) {
                        inFlight.add(w);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return halt(RolloutHaltReason.INTERRUPTED, null, "interrupted", inFlight, out);
                }
            }
            for (Iterator<Watch> wi = inFlight.iterator(); wi.hasNext(); ) {
                Watch w = wi.next();
                Verdict v = check(w);
                if (v.reason != null) {
                    wi.remove();
                    out[w.index] = out[w.index].withDetail("rollout halted: " + v.detail);
                    return halt(v.reason, w, v.detail, inFlight, out);
                }
                if (v.done) {
                    wi.remove();
                    out[w.index] = out[w.index].withDetail("rolled out in "
                            + Duration.between(w.started, clock.instant()));
                }
            }
            if (!inFlight.isEmpty()) {
                try {
                    sleeper.sleep(config.pollInterval());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Watch w = inFlight.remove(0);
                    return halt(RolloutHaltReason.INTERRUPTED, w, "interrupted while waiting for the rollout",
                            inFlight, out);
                }
            }
        }
        return null;
    }

    /** Two changes of one object never run at once: the second would restart pods the first is waiting for. */
    private boolean hasRoom(List<Watch> inFlight, ResourceRef t) {
        int sameNamespace = 0;
        for (Watch w : inFlight) {
            ResourceRef o = w.change.target();
            if (o.equals(t)) {
                return false;
            }
            if (Objects.equals(o.namespace(), t.namespace())) {
                sameNamespace++;
            }
        }
        return sameNamespace < config.maxConcurrentPerNamespace();
    }

    /** Applies one pod-restarting change; returns what to watch, or null when there is no rollout to wait for. */
    private Watch start(int i, Change c, RolloutOutcome[] out, Write write) throws InterruptedException {
        ResourceRef t = c.target();
        boolean tracked = RolloutReadiness.tracked(t);
        Baseline baseline = null;
        if (tracked) {
            try {
                baseline = retry.call(() -> baseline(t));
            } catch (ApiRetry.Exhausted e) {
                // No server to read from will take no write either: stop here, as the applier would, and leave the
                // rest to the next run rather than fail each remaining change in turn.
                String why = "could not read the workload's pods and HPA before the change: " + ApiRetry.describe(e);
                throw new Stop(RolloutHaltReason.API_UNAVAILABLE, c, new Outcome(c, ApplyResult.Status.FAILED, null,
                        null, null, null, 0, "not applied: " + why, null), "the API server kept failing: " + why
                        + "; the changes not attempted are left to the next run");
            } catch (KubernetesClientException e) {
                // Without the state before the change neither a crash loop nor a surge could be told apart.
                out[i] = new RolloutOutcome(c, RolloutOutcome.Status.FAILED, null,
                        "not applied: could not read the workload's pods and HPA before the change: "
                                + e.getMessage());
                return null;
            }
        }
        limiter.acquire();
        Outcome o = write.write(c);
        if (o.status() != ApplyResult.Status.APPLIED) {
            out[i] = RolloutOutcome.of(o);
            return null;
        }
        if (!tracked) {
            out[i] = RolloutOutcome.of(o, "applied; the rollout of a " + t.kind() + " is not watched");
            return null;
        }
        out[i] = RolloutOutcome.of(o, "rolling out");
        return new Watch(i, c, clock.instant(), baseline);
    }

    private Baseline baseline(ResourceRef t) {
        Baseline b = new Baseline();
        GenericKubernetesResource live = once.genericKubernetesResources(t.apiVersion(), t.kind())
                .inNamespace(t.namespace()).withName(t.name()).get();
        if (live == null) {
            // The applier will report it gone; nothing to compare against.
            return b;
        }
        b.selector = selector(live);
        for (Pod p : pods(once, t, b.selector)) {
            for (ContainerStatus s : containerStatuses(p)) {
                String key = key(p, s);
                b.restarts.put(key, restarts(s));
                if (crashLooping(s)) {
                    b.crashing.add(key);
                }
            }
        }
        HorizontalPodAutoscaler hpa = hpa(once, t);
        if (hpa != null) {
            b.hpaName = hpa.getMetadata().getName();
            b.hpaBefore = desiredBefore(hpa);
        }
        return b;
    }

    // ---------------------------------------------------------------- watching

    private static final class Verdict {
        static final Verdict WAITING = new Verdict(false, null, null);
        static final Verdict DONE = new Verdict(true, null, null);
        final boolean done;
        final RolloutHaltReason reason;
        final String detail;

        Verdict(boolean done, RolloutHaltReason reason, String detail) {
            this.done = done;
            this.reason = reason;
            this.detail = detail;
        }

        static Verdict halt(RolloutHaltReason reason, String detail) {
            return new Verdict(false, reason, detail);
        }
    }

    private Verdict check(Watch w) {
        ResourceRef t = w.change.target();
        try {
            GenericKubernetesResource live = resource(t).get();
            if (live == null) {
                return Verdict.halt(RolloutHaltReason.WORKLOAD_GONE, t + " was deleted during its rollout");
            }
            ObjectNode json = client.getKubernetesSerialization().convertValue(live, ObjectNode.class);
            if (w.generation < 0) {
                // Read after the patch rather than taken from its response: generation only grows, so a later
                // writer can only make the wait stricter.
                w.generation = json.path("metadata").path("generation").asLong(0);
            }
            String crash = crashLoop(w);
            if (crash != null) {
                return Verdict.halt(RolloutHaltReason.CRASH_LOOP, crash);
            }
            String surge = surge(w);
            if (surge != null) {
                return Verdict.halt(RolloutHaltReason.HPA_SURGE, surge);
            }
            w.lastPending = RolloutReadiness.pending(t.kind(), json, w.generation);
            if (w.lastPending == null) {
                return Verdict.DONE;
            }
            if (RolloutReadiness.progressDeadlineExceeded(json, w.generation)) {
                return Verdict.halt(RolloutHaltReason.DEADLINE_EXCEEDED,
                        "Kubernetes reports ProgressDeadlineExceeded (" + w.lastPending + ")");
            }
        } catch (KubernetesClientException e) {
            // A flaky API server is no reason to halt, but the deadline still runs.
            w.lastPending = "status unreadable: " + e.getMessage();
        }
        Duration elapsed = Duration.between(w.started, clock.instant());
        if (elapsed.compareTo(config.deadline()) >= 0) {
            return Verdict.halt(RolloutHaltReason.DEADLINE_EXCEEDED, "not rolled out after " + elapsed
                    + " (deadline " + config.deadline() + "): " + w.lastPending);
        }
        return Verdict.WAITING;
    }

    private String crashLoop(Watch w) {
        if (w.selector == null) {
            return null;
        }
        for (Pod p : pods(client, w.change.target(), w.selector)) {
            for (ContainerStatus s : containerStatuses(p)) {
                String key = key(p, s);
                if (w.crashing.contains(key)) {
                    continue;
                }
                String where = "pod " + p.getMetadata().getName() + " container " + s.getName();
                if (crashLooping(s)) {
                    return where + " is in " + CRASH_LOOP_BACK_OFF;
                }
                int rose = restarts(s) - w.restarts.getOrDefault(key, 0);
                if (rose >= config.crashLoopRestarts()) {
                    return where + " restarted " + rose + " times since the change";
                }
            }
        }
        return null;
    }

    private String surge(Watch w) {
        if (w.hpaName == null) {
            return null;
        }
        ResourceRef t = w.change.target();
        HorizontalPodAutoscaler hpa = client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(t.namespace())
                .withName(w.hpaName).get();
        if (hpa == null || hpa.getStatus() == null || hpa.getStatus().getDesiredReplicas() == null) {
            return null;
        }
        int now = hpa.getStatus().getDesiredReplicas();
        // Integer arithmetic: "more than p percent" must not depend on rounding.
        if ((long) now * 100 > (long) w.hpaBefore * (100 + config.hpaSurgePercent())) {
            return "HorizontalPodAutoscaler " + w.hpaName + " raised desiredReplicas from " + w.hpaBefore + " to "
                    + now + " (more than " + config.hpaSurgePercent() + "%)";
        }
        return null;
    }

    // ---------------------------------------------------------------- halting

    private RolloutHalt halt(RolloutHaltReason reason, Watch w, String detail, List<Watch> stillRolling,
            RolloutOutcome[] out) {
        for (Watch other : stillRolling) {
            out[other.index] = out[other.index].withDetail("applied; rollout not awaited, halted by "
                    + (w == null ? reason : w.change.id()));
        }
        if (w == null) {
            return new RolloutHalt(reason, null, null, detail, null);
        }
        int deferred = 0;
        for (RolloutOutcome o : out) {
            if (o == null) {
                deferred++;
            }
        }
        String eventError = event(w.change, reason, detail, deferred);
        return new RolloutHalt(reason, w.change.id(), w.change.target(), detail, eventError);
    }

    private String event(Change c, RolloutHaltReason reason, String detail, int deferred) {
        return haltEvent(client, clock, c, reason, detail, deferred + " pod-restarting change(s) deferred");
    }

    /**
     * The Warning Event of a halt on the workload of {@code c}. Returns null, or why the Event could not be created:
     * the halt stands either way.
     */
    static String haltEvent(KubernetesClient client, Clock clock, Change c, RolloutHaltReason reason, String detail,
            String after) {
        try {
            ResourceRef t = c.target();
            GenericKubernetesResource live = client.genericKubernetesResources(t.apiVersion(), t.kind())
                    .inNamespace(t.namespace()).withName(t.name()).get();
            String uid = live == null || live.getMetadata() == null ? null : live.getMetadata().getUid();
            String rv = live == null || live.getMetadata() == null ? null : live.getMetadata().getResourceVersion();
            String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
            String message = "Meshwarden halted its rollout at " + t + " [change " + c.id() + "]: " + reason + ", "
                    + detail + "; " + after;
            if (message.length() > MAX_EVENT_MESSAGE) {
                message = message.substring(0, MAX_EVENT_MESSAGE - 3) + "...";
            }
            Event event = new EventBuilder().withNewMetadata()
                    .withName(Applier.eventName(t, c.id() + "|halted", uid, rv)).withNamespace(t.namespace())
                    .addToLabels(Applier.MANAGED_BY, Applier.MANAGED_BY_VALUE).endMetadata()
                    .withNewInvolvedObject().withApiVersion(t.apiVersion()).withKind(t.kind())
                    .withNamespace(t.namespace()).withName(t.name()).withUid(uid).withResourceVersion(rv)
                    .endInvolvedObject().withReason(HALT_EVENT_REASON).withType("Warning").withMessage(message)
                    .withAction("Halt").withNewSource().withComponent(Applier.FIELD_MANAGER).endSource()
                    .withReportingComponent(Applier.FIELD_MANAGER)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build();
            client.v1().events().inNamespace(t.namespace()).resource(event).create();
            return null;
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    // ---------------------------------------------------------------- plumbing

    private Resource<GenericKubernetesResource> resource(ResourceRef t) {
        return client.genericKubernetesResources(t.apiVersion(), t.kind()).inNamespace(t.namespace())
                .withName(t.name());
    }

    private LabelSelector selector(GenericKubernetesResource live) {
        JsonNode s = client.getKubernetesSerialization().convertValue(live, ObjectNode.class).path("spec")
                .path("selector");
        if (!s.isObject() || (s.path("matchLabels").isEmpty() && s.path("matchExpressions").isEmpty())) {
            // An empty selector would match every pod of the namespace: better no pod check than a wrong one.
            return null;
        }
        return client.getKubernetesSerialization().convertValue(s, LabelSelector.class);
    }

    private static List<Pod> pods(KubernetesClient client, ResourceRef t, LabelSelector selector) {
        if (selector == null) {
            return List.of();
        }
        return client.pods().inNamespace(t.namespace()).withLabelSelector(selector).list().getItems();
    }

    private static HorizontalPodAutoscaler hpa(KubernetesClient client, ResourceRef t) {
        for (HorizontalPodAutoscaler h : client.autoscaling().v2().horizontalPodAutoscalers()
                .inNamespace(t.namespace()).list().getItems()) {
            CrossVersionObjectReference ref = h.getSpec() == null ? null : h.getSpec().getScaleTargetRef();
            if (ref != null && t.kind().equals(ref.getKind()) && t.name().equals(ref.getName())) {
                return h;
            }
        }
        return null;
    }

    /** What the HPA wanted just before the change; an HPA that has not acted yet is judged by its floor. */
    private static int desiredBefore(HorizontalPodAutoscaler h) {
        if (h.getStatus() != null && h.getStatus().getDesiredReplicas() != null
                && h.getStatus().getDesiredReplicas() > 0) {
            return h.getStatus().getDesiredReplicas();
        }
        if (h.getStatus() != null && h.getStatus().getCurrentReplicas() != null
                && h.getStatus().getCurrentReplicas() > 0) {
            return h.getStatus().getCurrentReplicas();
        }
        Integer min = h.getSpec() == null ? null : h.getSpec().getMinReplicas();
        return min == null || min < 1 ? 1 : min;
    }

    private static List<ContainerStatus> containerStatuses(Pod p) {
        List<ContainerStatus> all = new ArrayList<>();
        if (p.getStatus() != null) {
            if (p.getStatus().getInitContainerStatuses() != null) {
                all.addAll(p.getStatus().getInitContainerStatuses());
            }
            if (p.getStatus().getContainerStatuses() != null) {
                all.addAll(p.getStatus().getContainerStatuses());
            }
        }
        return all;
    }

    /** By uid: a StatefulSet re-creates its pods under the same names. */
    private static String key(Pod p, ContainerStatus s) {
        String uid = p.getMetadata().getUid();
        return (uid == null ? p.getMetadata().getName() : uid) + "/" + s.getName();
    }

    private static boolean crashLooping(ContainerStatus s) {
        return s.getState() != null && s.getState().getWaiting() != null
                && CRASH_LOOP_BACK_OFF.equals(s.getState().getWaiting().getReason());
    }

    private static int restarts(ContainerStatus s) {
        return s.getRestartCount() == null ? 0 : s.getRestartCount();
    }
}

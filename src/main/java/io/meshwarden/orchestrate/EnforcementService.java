package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.RetryConfig;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.Hold;
import io.meshwarden.enforce.HoldStore;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Enforcement runs: read the cluster, evaluate, plan, and (unless a dry run) apply. Policies in audit mode only
 * ever plan: an enforcing run takes changes from enforce-mode policies alone, a dry run previews every policy's
 * changes, marking which an enforcing run would apply. Objects a revert put on hold are skipped by both.
 */
@ApplicationScoped
public class EnforcementService {
    private static final Logger LOG = Logger.getLogger(EnforcementService.class);
    /** Kinds that own Helm values (the Sail operator's Istio, IstioOperator); patched only when allowed. */
    private static final Set<String> VALUE_OWNERS = Set.of("Istio", "IstioOperator");
    static final String PLANNING = "planning: reading the cluster, evaluating and reading the holds of the objects "
            + "the plan would write; the plan appears here when it is done";

    private final MeshwardenConfig config;
    private final AuditJob audits;
    private final Instance<KubernetesClient> client;
    private final MeterRegistry registry;
    private final Leadership leadership;
    private final ApiRetry retry;
    /** Newest first. */
    private final List<EnforcementRun> runs = new ArrayList<>();
    /** A run (or revert) in progress; a flag, not a lock, because the apply finishes on the worker thread. */
    private final AtomicBoolean busy = new AtomicBoolean();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "meshwarden-enforcer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    private volatile Instant lastSuccess;

    public EnforcementService(MeshwardenConfig config, AuditJob audits, Instance<KubernetesClient> client,
            MeterRegistry registry, Leadership leadership, RetryConfig retry) {
        this.config = config;
        this.retry = ApiRetry.of(retry);
        this.leadership = leadership;
        this.audits = audits;
        this.client = client;
        this.registry = registry;
        Gauge.builder("meshwarden.enforce.last.success.timestamp", this,
                s -> s.lastSuccess == null ? Double.NaN : s.lastSuccess.toEpochMilli() / 1000.0)
                .baseUnit("seconds").description("When the latest successful enforcement run finished")
                .register(registry);
    }

    @Scheduled(every = "${meshwarden.enforce.interval:5m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!config.enforce().enabled() || !audits.clusterEnabled() || !leadership.mayEnforce()) {
            return;
        }
        try {
            run("scheduled", false, Caller.SCHEDULER);
        } catch (Refusal e) {
            LOG.debugf("scheduled enforcement skipped: %s", e.getMessage());
        }
    }

    /**
     * Starts a run: reads, evaluates and plans now, so the plan is in the answer; a dry run or an empty plan is
     * finished at once, otherwise the changes are applied in the background through the rollout budget. A second
     * caller while one runs is refused (409), not queued. Every cluster write of the run is audited as made by
     * {@code startedBy}.
     */
    public EnforcementRun run(String trigger, boolean dryRun, Caller startedBy) {
        begin(dryRun);
        return plannedRun(newRunId("run"), Instant.now(), trigger, dryRun, startedBy);
    }

    /**
     * Starts a run as {@link #run} does, but plans on the enforcer thread and waits at most {@code answerWithin} for
     * the plan: a run still planning then is answered as {@code running} with an empty plan, and its record is
     * replaced when the plan (or the failure) is in. A refusal while the caller still waits is thrown as from
     * {@link #run}; one after the answer is recorded as the run's failure.
     */
    public EnforcementRun start(String trigger, boolean dryRun, Caller startedBy, Duration answerWithin) {
        begin(dryRun);
        String id = newRunId("run");
        Instant started = Instant.now();
        CompletableFuture<EnforcementRun> planned = new CompletableFuture<>();
        AtomicBoolean answered = new AtomicBoolean();
        try {
            worker.submit(() -> {
                try {
                    planned.complete(plannedRun(id, started, trigger, dryRun, startedBy));
                } catch (Refusal e) {
                    synchronized (planned) {
                        if (!answered.get()) {
                            planned.completeExceptionally(e);
                            return;
                        }
                    }
                    fail(id, trigger, startedBy, dryRun, started, null, e);
                }
            });
        } catch (RuntimeException e) {
            busy.set(false);
            throw e;
        }
        try {
            return planned.get(answerWithin.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            synchronized (planned) {
                if (!planned.isDone()) {
                    answered.set(true);
                    EnforcementRun planning = new EnforcementRun(id, trigger, startedBy.user(), dryRun, started, null,
                            "running", new Plan(List.of(), List.of()), List.of(), null, List.of(PLANNING), List.of(),
                            null);
                    recordIfAbsent(planning);
                    return planning;
                }
            }
            try {
                return planned.join();
            } catch (CompletionException done) {
                // Refused in the moment between the timeout and this check: answered as the refusal it is.
                throw done.getCause() instanceof RuntimeException r ? r : done;
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Refusal.unavailable("interrupted while the run was planning; it goes on: see GET /api/v1/runs");
        }
    }

    /** Refuses a run that cannot start here, else takes the one-run flag. */
    private void begin(boolean dryRun) {
        if (!audits.clusterEnabled()) {
            throw Refusal.unavailable("no cluster is configured (meshwarden.cluster.enabled)");
        }
        if (!dryRun && !leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        if (!busy.compareAndSet(false, true)) {
            throw Refusal.conflict("an enforcement run is already in progress");
        }
    }

    /** Plans (and, unless a dry run, starts applying) with the one-run flag already taken; releases it when done. */
    private EnforcementRun plannedRun(String id, Instant started, String trigger, boolean dryRun, Caller startedBy) {
        boolean background = false;
        Plan plan = null;
        try {
            AuditJob.LiveEvaluation live = audits.evaluateLive();
            plan = ownersAllowed(planWithHolds(live, dryRun), config.helm().patchOwners());
            List<String> unrecorded = dryRun ? List.of() : unrecorded(live.snapshot(), runs());
            if (dryRun || plan.changes().isEmpty()) {
                return finish(id, trigger, startedBy, dryRun, started, plan, runner().run(plan, dryRun), unrecorded);
            }
            EnforcementRun running = new EnforcementRun(id, trigger, startedBy.user(), false, started, null,
                    "running", plan, List.of(), null, List.of(), List.of(), null);
            record(running);
            Plan toApply = plan;
            worker.submit(() -> {
                try (AuditLog.Scope audit = AuditLog.attribute(startedBy, id)) {
                    finish(id, trigger, startedBy, false, started, toApply, runner().run(toApply, false), unrecorded);
                } catch (RuntimeException e) {
                    fail(id, trigger, startedBy, false, started, toApply, e);
                } finally {
                    busy.set(false);
                }
            });
            background = true;
            return running;
        } catch (Refusal e) {
            throw e;
        } catch (RuntimeException e) {
            return fail(id, trigger, startedBy, dryRun, started, plan, e);
        } finally {
            if (!background) {
                busy.set(false);
            }
        }
    }

    /**
     * Plans once, reads the holds of the objects the plan would write (annotations; holds on objects a revert
     * deleted are in the runs' revert records) and plans again without the held policies' changes on them.
     */
    private Plan planWithHolds(AuditJob.LiveEvaluation live, boolean preview) {
        Plan draft = Planner.plan(live.policies(), live.result(), live.snapshot(), Map.of(), preview);
        if (draft.changes().isEmpty()) {
            return draft;
        }
        Map<String, Hold> holds = new HashMap<>();
        for (EnforcementRun r : runs()) {
            if (r.revert() != null && r.revert().released() == null) {
                r.revert().holds().stream().filter(h -> !h.onObject()).forEach(h -> holds.put(Hold.key(h.target()), h));
            }
        }
        List<ResourceRef> targets = draft.changes().stream().map(Change::target)
                .filter(t -> !holds.containsKey(Hold.key(t))).toList();
        holds.putAll(new HoldStore(client.get()).read(targets));
        return holds.isEmpty() ? draft : Planner.plan(live.policies(), live.result(), live.snapshot(), holds, preview);
    }

    private RolloutRunner runner() {
        return runner(rolloutConfig());
    }

    /** The change budget of {@code meshwarden.rollout.*}. */
    RolloutConfig rolloutConfig() {
        MeshwardenConfig.Rollout r = config.rollout();
        return RolloutConfig.DEFAULTS.withMaxConcurrent(r.maxConcurrent())
                .withDeadline(r.deadline()).withPollInterval(r.pollInterval()).withHpaSurgePercent(r.hpaSurgePercent())
                .withCrashLoopRestarts(r.crashLoopRestarts()).withWritesPerSecond(r.writesPerSecond());
    }

    /** A budget for this service's writes, guarded by the leader lease. */
    RolloutRunner runner(RolloutConfig rollout) {
        return new RolloutRunner(client.get(), rollout, retry).guardedBy(leadership::mayEnforce);
    }

    // ---------------------------------------------------------------- shared with the onboarding run

    /** Takes the one-run-at-a-time flag for a run of another kind (an onboarding); 409 while anything runs. */
    void acquire() {
        if (!busy.compareAndSet(false, true)) {
            throw Refusal.conflict("an enforcement run, revert or onboarding is already in progress");
        }
    }

    void release() {
        busy.set(false);
    }

    /** Runs {@code task} on the enforcer thread, attributed to {@code by}; the flag is released when it ends. */
    void submit(Caller by, String runId, Runnable task) {
        worker.submit(() -> {
            try (AuditLog.Scope audit = AuditLog.attribute(by, runId)) {
                task.run();
            } catch (RuntimeException e) {
                LOG.errorf("%s failed: %s", runId, e.getMessage());
            } finally {
                busy.set(false);
            }
        });
    }

    String newRunId(String prefix) {
        return prefix + "-" + Instant.now().getEpochSecond() + "-" + sequence.incrementAndGet();
    }

    /**
     * Keeps a run made elsewhere (an onboarding) beside the enforcement runs, so that it is listed, counted and
     * reverted like them; a finished one counts for the health check and its halt for the halt counter.
     */
    void recordExternal(EnforcementRun run) {
        record(run);
        if (run.finishedAt() == null || "running".equals(run.outcome())) {
            return;
        }
        if ("failed".equals(run.outcome()) || "partial".equals(run.outcome())) {
            consecutiveFailures.incrementAndGet();
        } else {
            consecutiveFailures.set(0);
            lastSuccess = run.finishedAt();
        }
        if (run.halt() != null) {
            Counter.builder("meshwarden.enforce.rollout.halts").tag("reason", run.halt().reason().name())
                    .description("Rollouts halted, by reason").register(registry).increment();
        }
    }

    private EnforcementRun finish(String id, String trigger, Caller startedBy, boolean dryRun, Instant started,
            Plan plan, RolloutResult result, List<String> unrecorded) {
        boolean failed = !result.withStatus(RolloutOutcome.Status.FAILED).isEmpty();
        String outcome = outcome(dryRun, plan, result);
        List<String> notes = new ArrayList<>(notes(plan, result));
        notes.addAll(unrecorded);
        EnforcementRun run = new EnforcementRun(id, trigger, startedBy.user(), dryRun, started, Instant.now(), outcome,
                plan, result.outcomes(), result.halt(), notes, List.of(), null);
        record(run);
        if (failed) {
            consecutiveFailures.incrementAndGet();
        } else {
            consecutiveFailures.set(0);
            lastSuccess = run.finishedAt();
        }
        if (result.halted()) {
            Counter.builder("meshwarden.enforce.rollout.halts").tag("reason", result.halt().reason().name())
                    .description("Rollouts halted, by reason").register(registry).increment();
        }
        return run;
    }

    /** The word for how a run ended; see {@link EnforcementRun#outcome()}. */
    public static String outcome(boolean dryRun, Plan plan, RolloutResult result) {
        boolean failed = !result.withStatus(RolloutOutcome.Status.FAILED).isEmpty();
        // Stopped by the API server rather than by a rollout: the next run resumes from the cluster's state.
        boolean incomplete = result.halted() && result.halt().reason() == RolloutHaltReason.API_UNAVAILABLE;
        boolean wroteNothing = result.outcomes().stream().allMatch(o -> o.status() == RolloutOutcome.Status.UNCHANGED
                || o.status() == RolloutOutcome.Status.SKIPPED);
        return dryRun ? "planned" : plan.changes().isEmpty() || (wroteNothing && !result.halted()) ? "nothing-to-do"
                : incomplete ? "incomplete" : result.halted() ? "halted" : failed ? "partial" : "applied";
    }

    /**
     * Workloads that carry {@code meshwarden.io/applied-by} although no run this process keeps recorded applying
     * them: runs live in memory, so a restart (a crash mid-run included) or the {@code runs-kept} bound drops their
     * revert records. Said in the run's notes, since those changes can no longer be reverted through the API.
     */
    static List<String> unrecorded(ClusterSnapshot snapshot, List<EnforcementRun> known) {
        Set<String> recorded = new HashSet<>();
        for (EnforcementRun r : known) {
            if (r.revert() == null) {
                r.applyResult().applied().forEach(o -> recorded.add(Hold.key(o.change().target())));
            }
        }
        List<String> missing = new ArrayList<>();
        for (Workload w : snapshot.workloads()) {
            // Hold.key names kind, namespace and name, not the version.
            if (w.annotations().containsKey(Applier.APPLIED_BY)
                    && !recorded.contains(w.kind().kindName() + "/" + w.namespace() + "/" + w.name())) {
                missing.add(w.ref());
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        int shown = Math.min(missing.size(), 10);
        return List.of(missing.size() + " workload(s) carry " + Applier.APPLIED_BY + " but no run this process keeps"
                + " recorded applying them (runs are kept in memory: a restart, e.g. after a crash mid-run, loses"
                + " them): their changes have no revert record here; undo them by hand: "
                + String.join(", ", missing.subList(0, shown)) + (shown < missing.size() ? ", ..." : ""));
    }

    private EnforcementRun fail(String id, String trigger, Caller startedBy, boolean dryRun, Instant started,
            Plan plan, RuntimeException e) {
        LOG.errorf("enforcement run %s failed: %s", id, e.getMessage());
        consecutiveFailures.incrementAndGet();
        EnforcementRun run = new EnforcementRun(id, trigger, startedBy.user(), dryRun, started, Instant.now(),
                "failed", plan, List.of(), null, List.of(), List.of(), e.getMessage());
        record(run);
        return run;
    }

    /** Sail Istio and IstioOperator hold values users keep in git: patch them only when configured to. */
    static Plan ownersAllowed(Plan plan, boolean patchOwners) {
        if (patchOwners) {
            return plan;
        }
        List<Change> keep = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>(plan.skipped());
        for (Change c : plan.changes()) {
            if (VALUE_OWNERS.contains(c.target().kind())) {
                for (String policy : c.policies()) {
                    skipped.add(new Skipped(policy, String.join(",", c.rules()), c.target(), c.action(),
                            "the values live in " + c.target() + "; set meshwarden.helm.patch-owners=true to let "
                                    + "Meshwarden patch them, or change them in git"));
                }
            } else {
                keep.add(c);
            }
        }
        return new Plan(keep, skipped);
    }

    /** A live fix of a values-level problem is not the end: the next helm upgrade would undo it. */
    static List<String> notes(Plan plan, RolloutResult result) {
        List<String> notes = new ArrayList<>();
        for (Skipped s : plan.skipped()) {
            if (!"values-overlay".equals(s.action())) {
                continue;
            }
            ResourceRef release = s.target();
            boolean liveFixed = result.outcomes().stream().anyMatch(o -> o.change().policies().contains(s.policy())
                    && (o.status() == RolloutOutcome.Status.APPLIED || o.status() == RolloutOutcome.Status.UNCHANGED));
            notes.add((liveFixed ? "live fixed, values still drift: " : "values drift: ") + release.namespace() + "/"
                    + release.name() + " (" + s.rule() + "); GET /api/v1/helm/" + release.namespace() + "/"
                    + release.name() + "/overlay");
        }
        return List.copyOf(new java.util.LinkedHashSet<>(notes));
    }

    /** Keeps the planning placeholder unless the run's own record is already in. */
    private void recordIfAbsent(EnforcementRun run) {
        synchronized (runs) {
            if (runs.stream().noneMatch(r -> r.id().equals(run.id()))) {
                record(run);
            }
        }
    }

    private void record(EnforcementRun run) {
        synchronized (runs) {
            runs.removeIf(r -> r.id().equals(run.id()));
            runs.add(0, run);
            int dryRuns = 0;
            for (java.util.Iterator<EnforcementRun> it = runs.iterator(); it.hasNext(); ) {
                EnforcementRun r = it.next();
                if (r.dryRun() && ++dryRuns > config.enforce().dryRunsKept()) {
                    it.remove();
                }
            }
            while (runs.size() > config.enforce().runsKept()) {
                runs.remove(runs.size() - 1);
            }
        }
        if ("running".equals(run.outcome())) {
            return;
        }
        Counter.builder("meshwarden.enforce.runs").tag("outcome", run.outcome())
                .description("Enforcement runs by outcome").register(registry).increment();
        if (!run.dryRun()) {
            for (RolloutOutcome o : run.outcomes()) {
                changes(o.status().name().toLowerCase(java.util.Locale.ROOT)).increment();
            }
        }
        if (run.plan() != null && !run.dryRun()) {
            // Skipped by the planner (no safe remedy, a hold, Helm values): not attempted later, so not deferred.
            changes("skipped").increment(run.plan().skipped().size());
        }
        LOG.infof("enforcement %s (%s%s): %s", run.id(), run.trigger(), run.dryRun() ? ", dry run" : "",
                run.summary());
    }

    private Counter changes(String result) {
        return Counter.builder("meshwarden.enforce.changes").tag("result", result)
                .description("Planned changes by what happened to them").register(registry);
    }

    public List<EnforcementRun> runs() {
        synchronized (runs) {
            return List.copyOf(runs);
        }
    }

    public Optional<EnforcementRun> get(String id) {
        return runs().stream().filter(r -> r.id().equals(id)).findFirst();
    }

    /**
     * Restores what a run applied; 409 when any of its objects changed since (nothing is reverted then). The
     * reverted objects are put on hold for the run's policies. The revert goes through the rollout budget: without
     * pod-restarting changes it is done when this returns; with some it rolls out in the background (outcome
     * {@code reverting}) one workload at a time, and halts like a run.
     */
    public EnforcementRun revert(String id, Caller by) {
        EnforcementRun run = get(id).orElseThrow(() -> Refusal.notFound("no run '" + id + "'"));
        if (run.dryRun() || run.applyResult().applied().isEmpty()) {
            throw Refusal.conflict("run '" + id + "' applied nothing to revert");
        }
        if (!run.reverted().isEmpty() || run.revert() != null) {
            throw Refusal.conflict("run '" + id + "' was already reverted");
        }
        if (!leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        if (!busy.compareAndSet(false, true)) {
            throw Refusal.conflict("an enforcement run is in progress");
        }
        boolean background = false;
        try {
            Instant started = Instant.now();
            Map<String, Long> generations = new HashMap<>();
            audits.policies().forEach(p -> generations.put(p.name(), p.metadata().generation()));
            Reverter.Prepared prepared = new Reverter(client.get(), Clock.systemUTC()).prepare(run.applyResult(),
                    new Hold(null, id, started.truncatedTo(ChronoUnit.SECONDS), generations, true));
            if (prepared.changes().stream().noneMatch(Change::restartsPods)) {
                return finishRevert(id, by, started, prepared, runner().revert(prepared));
            }
            EnforcementRun reverting = run.withRevert("reverting", List.of(),
                    new EnforcementRun.Revert(by.user(), started, null, null, List.of(), null, null));
            replace(reverting);
            worker.submit(() -> {
                try (AuditLog.Scope audit = AuditLog.attribute(by, id)) {
                    finishRevert(id, by, started, prepared, runner().revert(prepared));
                } catch (RuntimeException e) {
                    LOG.errorf("revert of %s failed: %s", id, e.getMessage());
                    finishRevert(id, by, started, prepared, null);
                } finally {
                    busy.set(false);
                }
            });
            background = true;
            return reverting;
        } catch (Reverter.Changed e) {
            throw Refusal.conflict(e.getMessage());
        } finally {
            if (!background) {
                busy.set(false);
            }
        }
    }

    private EnforcementRun finishRevert(String id, Caller by, Instant started, Reverter.Prepared prepared,
            RolloutResult result) {
        List<Reverter.Step> steps = prepared.steps(result);
        boolean complete = steps.stream().allMatch(s -> "reverted".equals(s.result()) || "gone".equals(s.result()));
        EnforcementRun.Revert record = new EnforcementRun.Revert(by.user(), started, Instant.now(),
                result == null ? null : result.halt(), prepared.holds(), null, null);
        EnforcementRun reverted = get(id).orElseThrow().withRevert(complete ? "reverted" : "revert-incomplete", steps,
                record);
        replace(reverted);
        if (result != null && result.halted()) {
            Counter.builder("meshwarden.enforce.rollout.halts").tag("reason", result.halt().reason().name())
                    .description("Rollouts halted, by reason").register(registry).increment();
        }
        return reverted;
    }

    /** Lifts the holds a run's revert placed: its policies may change those objects again from the next run. */
    public EnforcementRun release(String id, Caller by) {
        EnforcementRun run = get(id).orElseThrow(() -> Refusal.notFound("no run '" + id + "'"));
        if (run.revert() == null || run.revert().finishedAt() == null) {
            throw Refusal.conflict("run '" + id + "' has no finished revert, so nothing on hold");
        }
        if (run.revert().released() != null) {
            throw Refusal.conflict("the holds of run '" + id + "' were already released");
        }
        if (!leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        HoldStore store = new HoldStore(client.get());
        for (Hold h : run.revert().holds()) {
            if (h.onObject()) {
                String result = store.release(h);
                AuditLog.clusterBy(by, id, "cluster.release", h.target().toString(), null, null, null,
                        List.copyOf(h.policies().keySet()), result);
            }
        }
        EnforcementRun released = run.withRevert(run.outcome(), run.reverted(),
                run.revert().releasedBy(by.user(), Instant.now()));
        replace(released);
        return released;
    }

    private void replace(EnforcementRun run) {
        synchronized (runs) {
            runs.replaceAll(r -> r.id().equals(run.id()) ? run : r);
        }
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        worker.shutdownNow();
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    public int failureThreshold() {
        return config.enforce().failureThreshold();
    }
}

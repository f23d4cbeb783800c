package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.RetryConfig;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutHaltReason;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.model.ResourceRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Enforcement runs: read the cluster, evaluate, plan, and (unless a dry run) apply. Policies in audit mode only
 * ever plan: the planner takes changes from enforce-mode policies alone.
 */
@ApplicationScoped
public class EnforcementService {
    private static final Logger LOG = Logger.getLogger(EnforcementService.class);
    /** Kinds that own Helm values (the Sail operator's Istio, IstioOperator); patched only when allowed. */
    private static final Set<String> VALUE_OWNERS = Set.of("Istio", "IstioOperator");

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
        if (!audits.clusterEnabled()) {
            throw Refusal.unavailable("no cluster is configured (meshwarden.cluster.enabled)");
        }
        if (!dryRun && !leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        if (!busy.compareAndSet(false, true)) {
            throw Refusal.conflict("an enforcement run is already in progress");
        }
        String id = "run-" + Instant.now().getEpochSecond() + "-" + sequence.incrementAndGet();
        Instant started = Instant.now();
        boolean background = false;
        Plan plan = null;
        try {
            AuditJob.LiveEvaluation live = audits.evaluateLive();
            plan = ownersAllowed(Planner.plan(live.policies(), live.result(), live.snapshot()),
                    config.helm().patchOwners());
            if (dryRun || plan.isEmpty()) {
                return finish(id, trigger, startedBy, dryRun, started, plan, runner().run(plan, dryRun));
            }
            EnforcementRun running = new EnforcementRun(id, trigger, startedBy.user(), false, started, null,
                    "running", plan, List.of(), null, List.of(), List.of(), null);
            record(running);
            Plan toApply = plan;
            worker.submit(() -> {
                try (AuditLog.Scope audit = AuditLog.attribute(startedBy, id)) {
                    finish(id, trigger, startedBy, false, started, toApply, runner().run(toApply, false));
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

    private RolloutRunner runner() {
        MeshwardenConfig.Rollout r = config.rollout();
        RolloutConfig rollout = RolloutConfig.DEFAULTS.withMaxConcurrent(r.maxConcurrent())
                .withDeadline(r.deadline()).withPollInterval(r.pollInterval()).withHpaSurgePercent(r.hpaSurgePercent())
                .withCrashLoopRestarts(r.crashLoopRestarts()).withWritesPerSecond(r.writesPerSecond());
        return new RolloutRunner(client.get(), rollout, retry).guardedBy(leadership::mayEnforce);
    }

    private EnforcementRun finish(String id, String trigger, Caller startedBy, boolean dryRun, Instant started,
            Plan plan, RolloutResult result) {
        boolean failed = !result.withStatus(RolloutOutcome.Status.FAILED).isEmpty();
        String outcome = outcome(dryRun, plan, result);
        EnforcementRun run = new EnforcementRun(id, trigger, startedBy.user(), dryRun, started, Instant.now(), outcome,
                plan, result.outcomes(), result.halt(), notes(plan, result), List.of(), null);
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
        return dryRun ? "planned" : plan.isEmpty() ? "nothing-to-do" : incomplete ? "incomplete"
                : result.halted() ? "halted" : failed ? "partial" : "applied";
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
            changes("deferred").increment(run.plan().skipped().size());
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

    /** Restores what a run applied; 409 when any of its objects changed since (nothing is reverted then). */
    public EnforcementRun revert(String id) {
        EnforcementRun run = get(id).orElseThrow(() -> Refusal.notFound("no run '" + id + "'"));
        if (run.dryRun() || run.applyResult().applied().isEmpty()) {
            throw Refusal.conflict("run '" + id + "' applied nothing to revert");
        }
        if (!run.reverted().isEmpty()) {
            throw Refusal.conflict("run '" + id + "' was already reverted");
        }
        if (!leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        if (!busy.compareAndSet(false, true)) {
            throw Refusal.conflict("an enforcement run is in progress");
        }
        try {
            List<Reverter.Step> steps = new Reverter(client.get(), Clock.systemUTC()).revert(run.applyResult());
            EnforcementRun reverted = run.withRevert(steps);
            synchronized (runs) {
                runs.replaceAll(r -> r.id().equals(id) ? reverted : r);
            }
            return reverted;
        } catch (Reverter.Changed e) {
            throw Refusal.conflict(e.getMessage());
        } finally {
            busy.set(false);
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

package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.OnboardingPlan;
import io.meshwarden.enforce.OnboardingPlanner;
import io.meshwarden.enforce.OnboardingProgress;
import io.meshwarden.enforce.OnboardingRunner;
import io.meshwarden.enforce.OnboardingStore;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.enforce.RolloutResult;
import io.meshwarden.enforce.RolloutSleeper;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.policy.MeshPolicy;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Onboarding a namespace to the mesh: the dry run and the run of the staged restart of what a SidecarCoverage
 * policy reports. The run shares the enforcement service's one-run-at-a-time flag, thread, leadership guard and run
 * records (an onboarding is listed under {@code /api/v1/runs} with trigger {@value #TRIGGER} and reverted like any
 * run); its progress is kept in the cluster ({@link OnboardingStore}), from where a restarted Meshwarden or a new
 * leader resumes a running one. A halted one waits for {@link #resume}.
 */
@ApplicationScoped
public class OnboardingService {
    public static final String TRIGGER = "onboarding";
    private static final Logger LOG = Logger.getLogger(OnboardingService.class);

    private final AuditJob audits;
    private final EnforcementService enforcement;
    private final Instance<KubernetesClient> client;
    private final Leadership leadership;
    private final MeterRegistry registry;
    /** The latest progress seen by policy, for the gauges. */
    private final Map<String, OnboardingProgress> seen = new ConcurrentHashMap<>();
    /** The policy whose onboarding this replica is running, or null. */
    private volatile String active;

    public OnboardingService(AuditJob audits, EnforcementService enforcement, Instance<KubernetesClient> client,
            Leadership leadership, MeterRegistry registry) {
        this.audits = audits;
        this.enforcement = enforcement;
        this.client = client;
        this.leadership = leadership;
        this.registry = registry;
    }

    /** What a start or resume answers: the plan it follows, the progress it starts from and its run's id. */
    public record Started(String run, OnboardingProgress progress, OnboardingPlan plan) {
    }

    /** A policy served now (store or GitOps), by name. */
    public Optional<MeshPolicy> policy(String name) {
        return audits.policies().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * Reads the cluster once, as an enforcement run does (and publishes that audit's report), and plans the
     * policy's restarts on it, restart time now. Writes nothing to the workloads.
     */
    public OnboardingPlan dryRun(MeshPolicy policy) {
        AuditJob.LiveEvaluation live = audits.evaluateLive();
        return OnboardingPlanner.plan(current(policy, live), live.policies(), live.snapshot(), Instant.now());
    }

    private static MeshPolicy current(MeshPolicy policy, AuditJob.LiveEvaluation live) {
        // The policy as the evaluation saw it: it may have changed since the caller looked it up.
        return live.policies().stream().filter(p -> p.name().equals(policy.name())).findFirst().orElse(policy);
    }

    /** The progress kept in the cluster for the policy; empty when it was never onboarded. */
    public Optional<OnboardingProgress> progress(String policy) {
        requireCluster();
        Optional<OnboardingProgress> p = new OnboardingStore(client.get()).read(policy);
        p.ifPresent(this::saw);
        return p;
    }

    /** Starts an onboarding; 409 when one of this policy is running or halted (resume it), or anything runs. */
    public Started start(MeshPolicy policy, Caller by) {
        return begin(policy, by, Mode.START);
    }

    /** Resumes a halted onboarding (after a human looked), or a running one no replica is carrying on. */
    public Started resume(MeshPolicy policy, Caller by) {
        return begin(policy, by, Mode.RESUME);
    }

    private enum Mode { START, RESUME, AUTO }

    /** A restarted Meshwarden or a new leader carries on an onboarding that was running; a halted one waits. */
    @Scheduled(every = "${meshwarden.onboarding.resume-interval:30s}", delayed = "${meshwarden.onboarding.resume-delay:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void resumeInterrupted() {
        if (!audits.clusterEnabled() || !leadership.mayEnforce() || active != null) {
            return;
        }
        try {
            for (OnboardingProgress p : new OnboardingStore(client.get()).all().values()) {
                saw(p);
                Optional<MeshPolicy> policy = policy(p.policy());
                if (OnboardingProgress.RUNNING.equals(p.state()) && policy.isPresent()
                        && policy.get().spec().parameters() instanceof StagedRestarts) {
                    Started s = begin(policy.get(), Caller.SCHEDULER, Mode.AUTO);
                    LOG.infof("onboarding of %s resumed from the cluster as %s: %s", p.policy(), s.run(),
                            s.progress().progress());
                    AuditLog.run(Caller.SCHEDULER, "onboarding.resume", s.run(), false, "running");
                    return;
                }
            }
        } catch (Refusal e) {
            LOG.debugf("onboarding resume skipped: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("onboarding resume failed: %s", e.getMessage());
        }
    }

    private void requireCluster() {
        if (!audits.clusterEnabled()) {
            throw Refusal.unavailable("no cluster is configured (meshwarden.cluster.enabled)");
        }
    }

    private Started begin(MeshPolicy policy, Caller by, Mode mode) {
        requireCluster();
        if (!leadership.mayEnforce()) {
            throw Refusal.conflict("this replica does not enforce: " + leadership.describe());
        }
        if (policy.name().equals(active)) {
            throw Refusal.conflict("the onboarding of policy '" + policy.name() + "' is running");
        }
        OnboardingStore store = new OnboardingStore(client.get());
        OnboardingProgress before = store.read(policy.name()).orElse(null);
        boolean unfinished = before != null && !OnboardingProgress.DONE.equals(before.state());
        if (mode == Mode.START && unfinished) {
            throw Refusal.conflict("the onboarding of policy '" + policy.name() + "' is " + before.state() + " ("
                    + before.progress() + (before.halt() == null ? "" : ", halted: " + before.halt().reason() + " "
                    + before.halt().detail()) + "): look, then resume it with POST /api/v1/onboarding/"
                    + policy.name() + "/resume");
        }
        if (mode != Mode.START && !unfinished) {
            throw Refusal.conflict("policy '" + policy.name() + "' has no onboarding to resume"
                    + (before == null ? "" : " (the last one is done: " + before.progress() + ")"));
        }
        if (mode == Mode.AUTO && !OnboardingProgress.RUNNING.equals(before.state())) {
            throw Refusal.conflict("the onboarding of policy '" + policy.name() + "' waits for an explicit resume");
        }
        enforcement.acquire();
        boolean background = false;
        try {
            AuditJob.LiveEvaluation live = audits.evaluateLive();
            MeshPolicy current = current(policy, live);
            if (!(current.spec().parameters() instanceof StagedRestarts staging)) {
                throw Refusal.conflict("policy '" + policy.name() + "' is no longer of a type with an onboarding");
            }
            boolean resuming = mode != Mode.START;
            Instant restartedAt = resuming ? Instant.parse(before.restartedAt()) : Instant.now();
            OnboardingPlan plan = OnboardingPlanner.plan(current, live.policies(), live.snapshot(), restartedAt);
            String run = enforcement.newRunId(TRIGGER);
            Set<String> planned = new LinkedHashSet<>();
            plan.steps().forEach(s -> planned.add(s.change().target().toString()));
            List<String> done = new ArrayList<>(resuming ? before.done() : List.of());
            if (resuming) {
                // The batch that was restarting when the run stopped: a workload the policy no longer reports
                // finished its restart meanwhile, with the sidecar it should have.
                before.current().stream().filter(w -> !planned.contains(w) && !done.contains(w)).forEach(done::add);
            }
            Set<String> all = new LinkedHashSet<>(done);
            all.addAll(planned);
            Set<String> namespaces = new LinkedHashSet<>(resuming ? before.namespaces() : List.of());
            plan.steps().forEach(s -> namespaces.add(s.change().target().namespace()));
            List<String> previous = new ArrayList<>(resuming ? before.previousRuns() : List.of());
            if (resuming) {
                previous.add(before.run());
            }
            List<String> notes = new ArrayList<>();
            plan.notes().stream().map(Note::message).forEach(notes::add);
            OnboardingProgress start = OnboardingProgress.start(policy.name(), run, previous, by.user(),
                    plan.restartedAt(), List.copyOf(namespaces), done, all.size(), notes, Instant.now().toString());
            saw(start);
            Plan asPlan = new Plan(plan.steps().stream().map(OnboardingPlan.Step::change).toList(), plan.skipped());
            Instant started = Instant.now();
            String trigger = TRIGGER + (resuming ? " (resumed " + before.run() + ")" : "");
            if (plan.steps().isEmpty()) {
                OnboardingProgress finished = start.finished(Instant.now().toString());
                new OnboardingStore(client.get()).write(finished);
                saw(finished);
                enforcement.recordExternal(new EnforcementRun(run, trigger, by.user(), false, started, Instant.now(),
                        "nothing-to-do", asPlan, List.of(), null, notes, List.of(), null));
                return new Started(run, finished, plan);
            }
            enforcement.recordExternal(new EnforcementRun(run, trigger, by.user(), false, started, null, "running",
                    asPlan, List.of(), null, notes, List.of(), null));
            active = policy.name();
            enforcement.submit(by, run, () -> execute(current, plan, start, asPlan, trigger, by, started, staging));
            background = true;
            return new Started(run, start, plan);
        } finally {
            if (!background) {
                enforcement.release();
            }
        }
    }

    private void execute(MeshPolicy policy, OnboardingPlan plan, OnboardingProgress start, Plan asPlan,
            String trigger, Caller by, Instant started, StagedRestarts staging) {
        String run = start.run();
        try {
            RolloutConfig budget = OnboardingRunner.budget(enforcement.rolloutConfig(), staging.halts());
            OnboardingRunner runner = new OnboardingRunner(client.get(), enforcement.runner(budget), budget,
                    () -> audits.evaluateLive().snapshot(), Clock.systemUTC(), RolloutSleeper.SYSTEM)
                    .guardedBy(leadership::mayEnforce);
            OnboardingRunner.Result r = runner.run(policy, plan, start, outcomes -> enforcement.recordExternal(
                    new EnforcementRun(run, trigger, by.user(), false, started, null, "running", asPlan, outcomes,
                            null, start.notes(), List.of(), null)));
            saw(r.progress());
            RolloutResult result = new RolloutResult(false, r.outcomes(), r.halt());
            List<String> notes = new ArrayList<>(r.progress().notes());
            r.storeErrors().forEach(e -> notes.add("progress not recorded on namespace " + e));
            notes.add("onboarding of " + policy.name() + ": " + r.progress().progress() + " ("
                    + r.progress().state() + ")");
            enforcement.recordExternal(new EnforcementRun(run, trigger, by.user(), false, started, Instant.now(),
                    EnforcementService.outcome(false, asPlan, result), asPlan, r.outcomes(), r.halt(), notes,
                    List.of(), null));
            long applied = r.outcomes().stream().filter(o -> o.status() == RolloutOutcome.Status.APPLIED).count();
            LOG.infof("onboarding %s of %s: %s, %d restart(s) sent%s", run, policy.name(), r.progress().state(),
                    applied, r.halt() == null ? "" : ", halted: " + r.halt().describe());
        } catch (RuntimeException e) {
            enforcement.recordExternal(new EnforcementRun(run, trigger, by.user(), false, started, Instant.now(),
                    "failed", asPlan, List.of(), null, List.of(), List.of(), e.getMessage()));
            throw e;
        } finally {
            active = null;
        }
    }

    /** Remembers the progress for the gauges, registering them the first time a policy is seen. */
    private void saw(OnboardingProgress p) {
        if (seen.put(p.policy(), p) == null) {
            String name = p.policy();
            Gauge.builder("meshwarden.onboarding.workloads.done", seen, m -> m.get(name).done().size())
                    .tag("policy", name).description("Workloads the onboarding restarted and checked")
                    .register(registry);
            Gauge.builder("meshwarden.onboarding.workloads.total", seen, m -> m.get(name).total())
                    .tag("policy", name).description("Workloads of the onboarding, done ones included")
                    .register(registry);
            Gauge.builder("meshwarden.onboarding.halted", seen,
                    m -> OnboardingProgress.HALTED.equals(m.get(name).state()) ? 1 : 0)
                    .tag("policy", name).description("1 while the onboarding is halted and waits for a resume")
                    .register(registry);
        }
    }
}

package io.meshwarden.orchestrate;

import io.meshwarden.enforce.OnboardingPlan;
import io.meshwarden.enforce.OnboardingPlanner;
import io.meshwarden.policy.MeshPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Optional;

/**
 * Onboarding a namespace to the mesh: the dry run of the staged restart of what a SidecarCoverage policy reports.
 * The run itself (restarting batch by batch) is not built yet; see docs/enforcement.md.
 */
@ApplicationScoped
public class OnboardingService {
    private final AuditJob audits;

    public OnboardingService(AuditJob audits) {
        this.audits = audits;
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
        // The policy as the evaluation saw it: it may have changed since the caller looked it up.
        MeshPolicy current = live.policies().stream().filter(p -> p.name().equals(policy.name())).findFirst()
                .orElse(policy);
        return OnboardingPlanner.plan(current, live.policies(), live.snapshot(), Instant.now());
    }
}

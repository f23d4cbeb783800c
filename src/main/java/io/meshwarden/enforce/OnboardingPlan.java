package io.meshwarden.enforce;

import io.meshwarden.evaluate.Note;
import java.util.List;

/**
 * The order in which an onboarding run would restart the workloads a staged-restart policy (SidecarCoverage)
 * reports, and the exact template change of each: what its dry run answers. See {@link OnboardingPlanner}.
 *
 * @param restartedAt  the {@code kubectl.kubernetes.io/restartedAt} value every patch carries (chosen by the caller)
 * @param batches      how many batches the steps fill
 * @param steps        in restart order
 * @param losesSidecar the steps' workloads whose new pods run no sidecar (injection is off now), in order: they lose
 *                     mTLS when restarted
 * @param notes        what the plan could not check or leaves out
 * @param skipped      the policy's findings that get no restart (a Job), with why
 */
public record OnboardingPlan(String policy, String mode, String restartedAt, int batchSize, int pauseSeconds,
        boolean presizeProxies, int batches, List<Step> steps, List<String> losesSidecar, List<Note> notes,
        List<Skipped> skipped) {
    public OnboardingPlan {
        steps = List.copyOf(steps);
        losesSidecar = List.copyOf(losesSidecar);
        notes = List.copyOf(notes);
        skipped = List.copyOf(skipped);
    }

    /** The steps of one batch (1-based), in order: what the run would hand the change budget at once. */
    public List<Step> batch(int n) {
        return steps.stream().filter(s -> s.batch() == n).toList();
    }

    /**
     * One workload's restart.
     *
     * @param order        1-based position in the whole plan
     * @param batch        1-based
     * @param change       the one template change: the restart annotation, merged with the sizing of the policies
     *                     in {@code presizedBy}; its policies are the staged-restart policy and those
     * @param runningPods  counted when the cluster was read: the size the order is by
     * @param replicas     {@code spec.replicas}; null when absent (a DaemonSet)
     * @param hpa          the HorizontalPodAutoscaler that scales the workload; null when none does
     * @param sidecarAfter the new pods get {@code istio-proxy}; false for the reverse (injection is off now)
     * @param presizedBy   the sizing policies whose change is in the patch, by name
     * @param notes        sizing that could not go into the patch, and why
     */
    public record Step(int order, int batch, Change change, int runningPods, Integer replicas, Hpa hpa,
            boolean scaledByHpa, boolean sidecarAfter, List<String> presizedBy, List<String> notes) {
        public Step {
            presizedBy = List.copyOf(presizedBy);
            notes = List.copyOf(notes);
        }
    }

    /** The HPA as read: a restart that adds sidecars raises its pods' CPU, which it may answer by scaling out. */
    public record Hpa(String name, int minReplicas, int maxReplicas, Integer desiredReplicas) {
    }
}

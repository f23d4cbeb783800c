package io.meshwarden.enforce;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where an onboarding stands, as kept in the annotation {@value #ANNOTATION} on every namespace of its plan: so
 * that a restarted Meshwarden, or a new leader, resumes it instead of starting over, and so that a halted one waits
 * for a human. Workloads are named as {@link io.meshwarden.model.ResourceRef#toString()} does ("Deployment ns/name").
 *
 * @param run         the enforcement run that records its changes ({@code GET /api/v1/runs/{run}}); a resumed
 *                    onboarding gets a new run, the previous ones stay in {@code previousRuns}
 * @param restartedAt the restart time its patches carry: a resume sends the same, so a workload already restarted
 *                    is not restarted again
 * @param state       {@value #RUNNING}, {@value #HALTED} (waits for an explicit resume) or {@value #DONE}
 * @param namespaces  every namespace whose annotation holds this progress
 * @param total       workloads of the onboarding, done ones included
 * @param done        restarted, rolled out and checked, in order
 * @param current     the batch being restarted (or the one that halted)
 * @param left        {@code total} minus {@code done}
 * @param progress    "x of y workloads"
 * @param halt        why it halted; null unless halted
 * @param notes       what the run could not check (e.g. the metrics API), and which workloads lose mTLS
 */
public record OnboardingProgress(String policy, String run, List<String> previousRuns, String startedBy,
        String restartedAt, String state, List<String> namespaces, int total, List<String> done,
        List<String> current, int left, String progress, Halt halt, List<String> notes, String updatedAt) {
    public static final String ANNOTATION = "meshwarden.io/onboarding";
    public static final String RUNNING = "running";
    public static final String HALTED = "halted";
    public static final String DONE = "done";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** @param workload "Kind namespace/name"; null when the halt is not about one workload */
    public record Halt(String reason, String workload, String detail, String at) {
    }

    public OnboardingProgress {
        previousRuns = previousRuns == null ? List.of() : List.copyOf(previousRuns);
        namespaces = namespaces == null ? List.of() : List.copyOf(new LinkedHashSet<>(namespaces));
        done = done == null ? List.of() : List.copyOf(done);
        current = current == null ? List.of() : List.copyOf(current);
        notes = notes == null ? List.of() : List.copyOf(new LinkedHashSet<>(notes));
        left = Math.max(0, total - done.size());
        progress = done.size() + " of " + total + " workloads";
    }

    /** A new onboarding, or a resumed one under a new run. */
    public static OnboardingProgress start(String policy, String run, List<String> previousRuns, String startedBy,
            String restartedAt, List<String> namespaces, List<String> done, int total, List<String> notes,
            String at) {
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, RUNNING, namespaces, total,
                done, List.of(), 0, null, null, notes, at);
    }

    public OnboardingProgress current(List<String> batch, String at) {
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, RUNNING, namespaces, total,
                done, batch, 0, null, null, notes, at);
    }

    public OnboardingProgress done(List<String> batch, String at) {
        List<String> d = new ArrayList<>(done);
        batch.stream().filter(w -> !d.contains(w)).forEach(d::add);
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, RUNNING, namespaces, total,
                d, List.of(), 0, null, null, notes, at);
    }

    public OnboardingProgress finished(String at) {
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, DONE, namespaces, total,
                done, List.of(), 0, null, null, notes, at);
    }

    public OnboardingProgress halted(Halt h, String at) {
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, HALTED, namespaces, total,
                done, current, 0, null, h, notes, at);
    }

    public OnboardingProgress withNotes(List<String> more) {
        Set<String> all = new LinkedHashSet<>(notes);
        all.addAll(more);
        return new OnboardingProgress(policy, run, previousRuns, startedBy, restartedAt, state, namespaces, total,
                done, current, 0, null, halt, List.copyOf(all), updatedAt);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The progress an annotation holds; null when it is absent or not one (a hand edit is no progress). */
    public static OnboardingProgress fromJson(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            OnboardingProgress p = JSON.readValue(value, OnboardingProgress.class);
            return p.policy() == null || p.state() == null ? null : p;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return null;
        }
    }
}

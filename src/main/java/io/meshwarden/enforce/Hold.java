package io.meshwarden.enforce;

import io.meshwarden.model.ResourceRef;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A revert's promise that the policies it undid leave the object alone: the next runs (dry runs too) skip those
 * policies' changes on it until the hold is released ({@code POST /api/v1/runs/{id}/release}) or the policy changes
 * (its generation differs from the one recorded here). Kept on the object as annotations, so it survives restarts and
 * shows in {@code kubectl get -o yaml}; for an object the revert deleted, only in the run's revert record.
 *
 * @param policies   the held policies and their generation when the revert ran
 * @param onObject   recorded as annotations on the object (false: the revert deleted it)
 */
public record Hold(ResourceRef target, String runId, Instant since, Map<String, Long> policies, boolean onObject) {
    /** The held policies, comma-separated. */
    public static final String ANNOTATION = "meshwarden.io/hold";
    public static final String RUN_ANNOTATION = "meshwarden.io/hold-run";
    public static final String SINCE_ANNOTATION = "meshwarden.io/hold-since";
    /** {@code policy=generation,...}: a policy whose generation moved on is no longer held. */
    public static final String GENERATIONS_ANNOTATION = "meshwarden.io/hold-generations";
    public static final List<String> ANNOTATIONS = List.of(ANNOTATION, RUN_ANNOTATION, SINCE_ANNOTATION,
            GENERATIONS_ANNOTATION);

    public Hold {
        policies = Map.copyOf(new TreeMap<>(policies));
    }

    /** The key of the object a hold is for, whatever the API version a finding names it with. */
    public static String key(ResourceRef target) {
        return Planner.id(target, 0);
    }

    public String reason() {
        return "on hold since revert of run " + runId + " (" + since + "); POST /api/v1/runs/" + runId
                + "/release lifts it";
    }

    /** Whether the policy, at this generation, is held off the object. */
    public boolean holds(String policy, long generation) {
        Long at = policies.get(policy);
        return at != null && (at < 0 || at == generation);
    }

    public Map<String, String> annotations() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(ANNOTATION, String.join(",", new TreeMap<>(policies).keySet()));
        out.put(RUN_ANNOTATION, runId);
        out.put(SINCE_ANNOTATION, since.toString());
        StringBuilder g = new StringBuilder();
        new TreeMap<>(policies).forEach((p, gen) -> g.append(g.length() == 0 ? "" : ",").append(p).append('=')
                .append(gen));
        out.put(GENERATIONS_ANNOTATION, g.toString());
        return out;
    }

    /** The hold recorded on an object, or null when it carries none (or one that cannot be read). */
    public static Hold fromAnnotations(ResourceRef target, Map<String, String> annotations) {
        if (annotations == null || annotations.get(ANNOTATION) == null || annotations.get(RUN_ANNOTATION) == null) {
            return null;
        }
        Map<String, Long> generations = new TreeMap<>();
        String recorded = annotations.getOrDefault(GENERATIONS_ANNOTATION, "");
        try {
            for (String pair : recorded.split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    generations.put(pair.substring(0, eq).trim(), Long.parseLong(pair.substring(eq + 1).trim()));
                }
            }
            Instant since = annotations.get(SINCE_ANNOTATION) == null ? Instant.EPOCH
                    : Instant.parse(annotations.get(SINCE_ANNOTATION));
            Map<String, Long> held = new TreeMap<>();
            for (String p : annotations.get(ANNOTATION).split(",")) {
                // A policy named without a generation is held until released.
                if (!p.isBlank()) {
                    held.put(p.trim(), generations.getOrDefault(p.trim(), -1L));
                }
            }
            return held.isEmpty() ? null : new Hold(target, annotations.get(RUN_ANNOTATION), since, held, true);
        } catch (RuntimeException e) {
            return null;
        }
    }
}

package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.model.ResourceRef;

/** Whether a workload has finished rolling out a given generation, judged from its status as kubectl does. */
public final class RolloutReadiness {
    private RolloutReadiness() {
    }

    /** Deployments, StatefulSets and DaemonSets of apps/v1: the kinds whose rollout can be watched. */
    public static boolean tracked(ResourceRef t) {
        return t.apiVersion() != null && t.apiVersion().startsWith("apps/") && t.namespace() != null
                && ("Deployment".equals(t.kind()) || "StatefulSet".equals(t.kind())
                        || "DaemonSet".equals(t.kind()));
    }

    /**
     * Null when the workload's controller has observed {@code generation} and every replica runs it and is
     * available, with no old replica left; otherwise what is still missing.
     */
    public static String pending(String kind, JsonNode workload, long generation) {
        JsonNode status = workload.path("status");
        long observed = status.path("observedGeneration").asLong(0);
        if (observed < generation) {
            return "controller has observed generation " + observed + " of " + generation;
        }
        if ("DaemonSet".equals(kind)) {
            long desired = status.path("desiredNumberScheduled").asLong(0);
            long updated = status.path("updatedNumberScheduled").asLong(0);
            long available = status.path("numberAvailable").asLong(0);
            if (updated != desired) {
                return updated + " of " + desired + " pods updated";
            }
            if (available != desired) {
                return available + " of " + desired + " pods available";
            }
            return null;
        }
        // The API server defaults spec.replicas to 1; an absent field in a stored object means the same.
        long replicas = workload.path("spec").path("replicas").asLong(1);
        long updated = status.path("updatedReplicas").asLong(0);
        long available = status.path("availableReplicas").asLong(0);
        long current = status.path("replicas").asLong(0);
        if (updated != replicas) {
            return updated + " of " + replicas + " replicas updated";
        }
        if (available != replicas) {
            return available + " of " + replicas + " replicas available";
        }
        if (current != updated) {
            return (current - updated) + " old replicas left";
        }
        return null;
    }

    /** Kubernetes itself gave up on a Deployment (spec.progressDeadlineSeconds passed). */
    public static boolean progressDeadlineExceeded(JsonNode workload, long generation) {
        JsonNode status = workload.path("status");
        if (status.path("observedGeneration").asLong(0) < generation) {
            return false;
        }
        for (JsonNode c : status.path("conditions")) {
            if ("Progressing".equals(c.path("type").asText()) && "False".equals(c.path("status").asText())
                    && "ProgressDeadlineExceeded".equals(c.path("reason").asText())) {
                return true;
            }
        }
        return false;
    }
}

package io.meshwarden.enforce.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutRateLimiter;
import io.meshwarden.enforce.RolloutReadiness;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutPiecesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void limiterSpacesWritesEvenly() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-11-24T12:00:00Z"));
        List<Duration> slept = new ArrayList<>();
        RolloutRateLimiter limiter = RolloutRateLimiter.perSecond(4, clock, d -> {
            slept.add(d);
            clock.advance(d);
        });
        limiter.acquire();
        limiter.acquire();
        clock.advance(Duration.ofMillis(100));
        limiter.acquire();
        clock.advance(Duration.ofSeconds(5));
        limiter.acquire();
        assertEquals(List.of(Duration.ofMillis(250), Duration.ofMillis(150)), slept, "no burst after idling either");
        assertSame(RolloutRateLimiter.UNLIMITED, RolloutRateLimiter.perSecond(0, clock, d -> {
        }));
    }

    @Test
    void deploymentIsDoneOnlyWhenEveryReplicaIsNewAndAvailable() throws Exception {
        String spec = "\"spec\":{\"replicas\":3},";
        assertEquals("controller has observed generation 1 of 2", RolloutReadiness.pending("Deployment",
                json("{" + spec + "\"status\":{\"observedGeneration\":1,\"replicas\":3,\"updatedReplicas\":3,"
                        + "\"availableReplicas\":3}}"), 2));
        assertEquals("2 of 3 replicas updated", RolloutReadiness.pending("Deployment",
                json("{" + spec + "\"status\":{\"observedGeneration\":2,\"replicas\":4,\"updatedReplicas\":2,"
                        + "\"availableReplicas\":3}}"), 2));
        assertEquals("2 of 3 replicas available", RolloutReadiness.pending("StatefulSet",
                json("{" + spec + "\"status\":{\"observedGeneration\":2,\"replicas\":3,\"updatedReplicas\":3,"
                        + "\"availableReplicas\":2}}"), 2));
        assertEquals("1 old replicas left", RolloutReadiness.pending("Deployment",
                json("{" + spec + "\"status\":{\"observedGeneration\":2,\"replicas\":4,\"updatedReplicas\":3,"
                        + "\"availableReplicas\":3}}"), 2));
        assertNull(RolloutReadiness.pending("Deployment",
                json("{" + spec + "\"status\":{\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":3,"
                        + "\"availableReplicas\":3}}"), 2));
        assertNull(RolloutReadiness.pending("Deployment", json("{\"spec\":{},\"status\":{\"observedGeneration\":2,"
                + "\"replicas\":1,\"updatedReplicas\":1,\"availableReplicas\":1}}"), 2), "replicas defaults to 1");
    }

    @Test
    void daemonSetIsDoneWhenEveryNodeRunsTheNewPod() throws Exception {
        assertEquals("4 of 5 pods updated", RolloutReadiness.pending("DaemonSet", json("{\"status\":{"
                + "\"observedGeneration\":2,\"desiredNumberScheduled\":5,\"updatedNumberScheduled\":4,"
                + "\"numberAvailable\":5}}"), 2));
        assertEquals("4 of 5 pods available", RolloutReadiness.pending("DaemonSet", json("{\"status\":{"
                + "\"observedGeneration\":2,\"desiredNumberScheduled\":5,\"updatedNumberScheduled\":5,"
                + "\"numberAvailable\":4}}"), 2));
        assertNull(RolloutReadiness.pending("DaemonSet", json("{\"status\":{\"observedGeneration\":2,"
                + "\"desiredNumberScheduled\":5,\"updatedNumberScheduled\":5,\"numberAvailable\":5}}"), 2));
    }

    @Test
    void progressDeadlineCountsOnlyForTheWatchedGeneration() throws Exception {
        String conditions = "\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\","
                + "\"reason\":\"ProgressDeadlineExceeded\"}]";
        assertTrue(RolloutReadiness.progressDeadlineExceeded(json("{\"status\":{\"observedGeneration\":2,"
                + conditions + "}}"), 2));
        assertFalse(RolloutReadiness.progressDeadlineExceeded(json("{\"status\":{\"observedGeneration\":1,"
                + conditions + "}}"), 2), "an old failure says nothing about the new template");
    }

    @Test
    void onlyAppsWorkloadsAreWatched() {
        assertTrue(RolloutReadiness.tracked(new ResourceRef("apps/v1", "DaemonSet", "kube-system", "cni")));
        assertFalse(RolloutReadiness.tracked(new ResourceRef("sailoperator.io/v1", "Istio", null, "default")));
        assertFalse(RolloutReadiness.tracked(new ResourceRef("v1", "ConfigMap", "a", "b")));
    }

    @Test
    void configDefaultsAndValidation() {
        RolloutConfig d = RolloutConfig.DEFAULTS;
        assertEquals(1, d.maxConcurrent());
        assertEquals(1, d.maxConcurrentPerNamespace());
        assertEquals(Duration.ofMinutes(10), d.deadline());
        assertEquals(50, d.hpaSurgePercent());
        assertEquals(3, d.crashLoopRestarts());
        assertThrows(IllegalArgumentException.class, () -> d.withMaxConcurrent(0));
        assertThrows(IllegalArgumentException.class, () -> d.withPollInterval(Duration.ZERO));
    }
}

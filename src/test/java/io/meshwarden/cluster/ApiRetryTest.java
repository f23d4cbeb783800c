package io.meshwarden.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.testing.FaultInjectingDispatcher;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bounds of the retry policy; what it does to real requests is tested through the reader and the applier. */
class ApiRetryTest {
    private final List<Duration> slept = new ArrayList<>();
    private final ApiRetry retry = new ApiRetry(4, Duration.ofMillis(200), Duration.ofMillis(1000),
            Duration.ofSeconds(30), slept::add);

    private static KubernetesClientException http(int code, Integer retryAfterSeconds) {
        StatusBuilder s = new StatusBuilder().withCode(code).withMessage("m");
        if (retryAfterSeconds != null) {
            s.withNewDetails().withRetryAfterSeconds(retryAfterSeconds).endDetails();
        }
        return new KubernetesClientException(s.build());
    }

    private static KubernetesClientException noAnswer(Throwable cause) {
        return new KubernetesClientException(cause.getMessage(), cause);
    }

    /** Stands in for Vert.x's HttpClosedException, which is neither an IOException nor a timeout. */
    private static final class HttpClosedException extends RuntimeException {
        HttpClosedException() {
            super("Connection was closed");
        }
    }

    @Test
    void backoffDoublesUpToTheCap() {
        ApiRetry steady = retry.withoutJitter();
        List<Long> delays = new ArrayList<>();
        for (int failed = 1; failed <= 6; failed++) {
            delays.add(steady.delay(http(500, null), failed).toMillis());
        }
        assertEquals(List.of(200L, 400L, 800L, 1000L, 1000L, 1000L), delays);
        assertEquals(1000L, steady.delay(http(500, null), 1000).toMillis(), "no overflow");
    }

    @Test
    void jitterIsDrawnBelowTheStep() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            long d = retry.delay(http(503, null), 2).toMillis();
            assertTrue(d >= 0 && d <= 400, "within [0, 400]: " + d);
            seen.add(d);
        }
        assertTrue(seen.size() > 50, "spread, not fixed: " + seen.size() + " distinct values");
    }

    @Test
    void retryAfterOf429And503IsWaitedOutUpToItsCap() {
        assertEquals(Duration.ofSeconds(3), retry.delay(http(429, 3), 1));
        assertEquals(Duration.ofSeconds(3), retry.delay(http(503, 3), 1));
        assertEquals(Duration.ofSeconds(30), retry.delay(http(429, 3600), 1), "capped by max-retry-after");
        assertTrue(retry.delay(http(500, 3), 1).toMillis() <= 200, "only 429 and 503 carry a Retry-After");
        assertTrue(retry.withoutJitter().delay(http(429, 0), 3).toMillis() == 800, "a shorter one is no reason to"
                + " hurry");
    }

    @Test
    void whatIsRetried() {
        for (int code : new int[] {429, 500, 502, 503, 504}) {
            assertTrue(ApiRetry.retryable(http(code, null)), String.valueOf(code));
        }
        for (int code : new int[] {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 501}) {
            assertFalse(ApiRetry.retryable(http(code, null)), String.valueOf(code));
        }
        assertTrue(ApiRetry.retryable(noAnswer(new TimeoutException("The timeout period of 10ms has been exceeded"))));
        assertTrue(ApiRetry.retryable(noAnswer(new IOException("Connection reset by peer"))));
        assertTrue(ApiRetry.retryable(noAnswer(new HttpClosedException())));
        assertFalse(ApiRetry.retryable(noAnswer(new IllegalStateException("cannot deserialize"))));
        assertFalse(ApiRetry.retryable(new ApiRetry.Exhausted(http(503, null), 5)), "never twice over");
    }

    @Test
    void callRetriesTransientFailuresWithinTheBound() {
        AtomicInteger calls = new AtomicInteger();
        String answer = retry.call(() -> {
            if (calls.incrementAndGet() < 3) {
                throw http(503, null);
            }
            return "ok";
        });
        assertEquals("ok", answer);
        assertEquals(3, calls.get());
        assertEquals(2, slept.size());

        calls.set(0);
        slept.clear();
        ApiRetry.Exhausted e = assertThrows(ApiRetry.Exhausted.class, () -> retry.call(() -> {
            calls.incrementAndGet();
            throw http(504, null);
        }));
        assertEquals(4, calls.get());
        assertEquals(3, slept.size(), "no wait after the last attempt");
        assertEquals(504, e.getCode());
        assertEquals(4, e.attempts());
        assertEquals("HTTP 504: m (gave up after 4 attempts)", ApiRetry.describe(e));
    }

    @Test
    void refusalsAreThrownAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> retry.call(() -> {
            calls.incrementAndGet();
            throw http(403, null);
        }));
        assertEquals(1, calls.get());
        assertEquals(403, e.getCode());
        assertFalse(e instanceof ApiRetry.Exhausted);
        assertTrue(slept.isEmpty());
    }

    @Test
    void boundsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ApiRetry(0,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, ApiRetry.Sleeper.SYSTEM));
        assertTrue(e.getMessage().startsWith("meshwarden.retry.max-attempts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ApiRetry(3, Duration.ofSeconds(2),
                Duration.ofSeconds(1), Duration.ZERO, ApiRetry.Sleeper.SYSTEM));
        assertTrue(e.getMessage().startsWith("meshwarden.retry.initial-backoff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ApiRetry(3, Duration.ZERO, Duration.ZERO,
                Duration.ofSeconds(-1), ApiRetry.Sleeper.SYSTEM));
        assertTrue(e.getMessage().startsWith("meshwarden.retry.max-retry-after"), e.getMessage());
    }

    @Test
    void singleAttemptViewTurnsOffOnlyTheClientsOwnRetry() {
        FaultInjectingDispatcher faults = new FaultInjectingDispatcher(new KubernetesCrudDispatcher());
        faults.always("GET", "/api/v1/namespaces/x/configmaps/y", FaultInjectingDispatcher.Fault.status(503));
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                faults, false);
        server.init();
        try (KubernetesClient client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(3)
                .withRequestRetryBackoffInterval(1).endConfig())) {
            KubernetesClient once = ApiRetry.singleAttempt(client);
            assertNotSame(client, once);

            assertThrows(KubernetesClientException.class, () -> once.configMaps().inNamespace("x").withName("y")
                    .get());
            assertEquals(1, faults.received("GET", "/api/v1/namespaces/x/configmaps/y"));

            faults.clearRecords();
            assertThrows(KubernetesClientException.class, () -> client.configMaps().inNamespace("x").withName("y")
                    .get());
            assertEquals(1 + 3, faults.received("GET", "/api/v1/namespaces/x/configmaps/y"),
                    "the shared client keeps its own retry");
        } finally {
            server.destroy();
        }
    }

    @Test
    void exhaustedKeepsTheLastAnswer() {
        Status status = new StatusBuilder().withCode(503).withMessage("etcd is unavailable").build();
        ApiRetry.Exhausted e = new ApiRetry.Exhausted(new KubernetesClientException(status), 5);
        assertEquals(503, e.getCode());
        assertSame(status, e.getStatus());
        assertEquals("HTTP 503: etcd is unavailable (gave up after 5 attempts)", ApiRetry.describe(e));
    }
}

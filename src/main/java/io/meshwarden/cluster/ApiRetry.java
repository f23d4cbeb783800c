package io.meshwarden.cluster;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;

/**
 * How requests to the API server are retried when it fails transiently: 429, 500, 502, 503, 504, a request timeout
 * or a dropped connection. Other answers (400, 401, 403, 404, 409, 410, 422, ...) are returned at once: repeating
 * them cannot help, and 409 and 410 need the caller to re-read rather than resend.
 *
 * <p>Each wait is drawn at random between zero and an exponential step ({@code initialBackoff} doubling per attempt,
 * at most {@code maxBackoff}), so replicas and runs that failed together do not retry together. A 429 or 503 that
 * says how long to wait ({@code Retry-After}, which the API server also puts in {@code details.retryAfterSeconds})
 * is waited out, up to {@code maxRetryAfter}.
 *
 * <p>The fabric8 client has a retry of its own, but (7.5) it resends every verb after a 5xx, POST and PATCH included,
 * computes Retry-After without waiting for it, has no jitter, and retries neither timeouts nor closed connections.
 * Code that retries through this class therefore talks through {@link #singleAttempt(KubernetesClient)}, so that
 * every request it counts is one request on the wire. {@link #call} is for reads and other requests that are safe to
 * repeat; writers use {@link #retryable} and {@link #pause} and re-read between attempts, since a write whose answer
 * was lost may have been applied.
 */
public final class ApiRetry {
    public static final ApiRetry DEFAULT = new ApiRetry(5, Duration.ofMillis(200), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Sleeper.SYSTEM);
    /** One attempt, no waiting. */
    public static final ApiRetry NONE = new ApiRetry(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, Sleeper.SYSTEM);

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;
    private final Sleeper sleeper;
    /** Given the bound in milliseconds, a wait in [0, bound]; random except in tests. */
    private final LongUnaryOperator jitter;

    /** Waits between attempts; tests substitute one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        Sleeper SYSTEM = d -> {
            if (!d.isNegative() && !d.isZero()) {
                Thread.sleep(d.toMillis());
            }
        };

        void sleep(Duration duration) throws InterruptedException;
    }

    public ApiRetry(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter,
            Sleeper sleeper) {
        this(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, sleeper,
                bound -> ThreadLocalRandom.current().nextLong(bound + 1));
    }

    private ApiRetry(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter,
            Sleeper sleeper, LongUnaryOperator jitter) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("meshwarden.retry.max-attempts must be at least 1, got " + maxAttempts);
        }
        check("initial-backoff", initialBackoff);
        check("max-backoff", maxBackoff);
        check("max-retry-after", maxRetryAfter);
        if (initialBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException("meshwarden.retry.initial-backoff (" + initialBackoff
                    + ") must not exceed meshwarden.retry.max-backoff (" + maxBackoff + ")");
        }
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxRetryAfter = maxRetryAfter;
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.jitter = jitter;
    }

    private static void check(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("meshwarden.retry." + name + " must be zero or positive, got " + d);
        }
    }

    public static ApiRetry of(RetryConfig c) {
        return new ApiRetry(c.maxAttempts(), c.initialBackoff(), c.maxBackoff(), c.maxRetryAfter(), Sleeper.SYSTEM);
    }

    public ApiRetry withSleeper(Sleeper s) {
        return new ApiRetry(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, s, jitter);
    }

    /** Always waits the whole step, for tests that check the bounds. */
    ApiRetry withoutJitter() {
        return new ApiRetry(maxAttempts, initialBackoff, maxBackoff, maxRetryAfter, sleeper, bound -> bound);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * A view of the client that sends each request once (sharing its connections), for callers that retry through
     * this class: otherwise the client's own retry would multiply the attempts and resend writes blindly.
     */
    public static KubernetesClient singleAttempt(KubernetesClient client) {
        RequestConfig current = client.getConfiguration().getRequestConfig();
        if (current != null && Integer.valueOf(0).equals(current.getRequestRetryBackoffLimit())) {
            return client;
        }
        RequestConfig once = new RequestConfigBuilder(current).withRequestRetryBackoffLimit(0).build();
        return client.newClient(once).adapt(KubernetesClient.class);
    }

    /**
     * Runs a request that is safe to repeat (a read), retrying transient failures.
     *
     * @throws Exhausted                 the last transient failure, once {@link #maxAttempts()} requests failed
     * @throws KubernetesClientException any other failure, at once
     */
    public <T> T call(Supplier<T> request) {
        for (int attempt = 1; ; attempt++) {
            try {
                return request.get();
            } catch (KubernetesClientException e) {
                if (!retryable(e)) {
                    throw e;
                }
                if (attempt >= maxAttempts) {
                    throw new Exhausted(e, attempt);
                }
                pause(e, attempt);
            }
        }
    }

    /**
     * Waits before the next attempt, after {@code failedAttempts} failed ones.
     *
     * @throws Exhausted when interrupted (the service is stopping): no further attempt should be made
     */
    public void pause(KubernetesClientException cause, int failedAttempts) {
        try {
            sleeper.sleep(delay(cause, failedAttempts));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Exhausted(cause, failedAttempts);
        }
    }

    Duration delay(KubernetesClientException cause, int failedAttempts) {
        int doublings = Math.min(Math.max(failedAttempts - 1, 0), 30);
        long step = Math.min(maxBackoff.toMillis(), saturatedShift(initialBackoff.toMillis(), doublings));
        long wait = jitter.applyAsLong(step);
        Duration asked = retryAfter(cause);
        if (asked != null) {
            wait = Math.max(wait, Math.min(asked.toMillis(), maxRetryAfter.toMillis()));
        }
        return Duration.ofMillis(wait);
    }

    private static long saturatedShift(long value, int bits) {
        return value > (Long.MAX_VALUE >> bits) ? Long.MAX_VALUE : value << bits;
    }

    /** True for failures that a later identical request may not meet. */
    public static boolean retryable(KubernetesClientException e) {
        if (e instanceof Exhausted) {
            return false;
        }
        int code = e.getCode();
        if (code > 0) {
            return code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
        }
        return noAnswer(e);
    }

    /** The request got no HTTP answer: it timed out or the connection broke, before or after being processed. */
    static boolean noAnswer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            // Vert.x reports a closed connection as its own HttpClosedException, not as an IOException.
            if (t instanceof IOException || t instanceof TimeoutException
                    || t.getClass().getSimpleName().endsWith("ClosedException")) {
                return true;
            }
        }
        return false;
    }

    /** The server's Retry-After for a 429 or 503, from the Status it sent; null when it gave none. */
    static Duration retryAfter(KubernetesClientException e) {
        if (e.getCode() != 429 && e.getCode() != 503) {
            return null;
        }
        Status s = e.getStatus();
        Integer seconds = s == null || s.getDetails() == null ? null : s.getDetails().getRetryAfterSeconds();
        return seconds == null || seconds < 0 ? null : Duration.ofSeconds(seconds);
    }

    /** For messages: {@code HTTP 503: etcd is unavailable (gave up after 5 attempts)}. */
    public static String describe(KubernetesClientException e) {
        if (e instanceof Exhausted) {
            Exhausted x = (Exhausted) e;
            return describe(x.last()) + " (gave up after " + x.attempts() + " attempt" + (x.attempts() == 1 ? ""
                    : "s") + ")";
        }
        String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : e.getMessage();
        return (e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "") + message;
    }

    /** Every attempt failed transiently; carries the last failure's code and Status. */
    public static final class Exhausted extends KubernetesClientException {
        private final KubernetesClientException last;
        private final int attempts;

        public Exhausted(KubernetesClientException last, int attempts) {
            super(describe(last) + " (gave up after " + attempts + " attempts)", last);
            this.last = last;
            this.attempts = attempts;
        }

        @Override
        public int getCode() {
            return last.getCode();
        }

        @Override
        public Status getStatus() {
            return last.getStatus();
        }

        public KubernetesClientException last() {
            return last;
        }

        public int attempts() {
            return attempts;
        }
    }

    @Override
    public String toString() {
        return "at most " + maxAttempts + " attempts, backoff " + initialBackoff + " doubling to " + maxBackoff
                + " with full jitter, Retry-After up to " + maxRetryAfter;
    }
}

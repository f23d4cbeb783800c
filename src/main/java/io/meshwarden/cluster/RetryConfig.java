package io.meshwarden.cluster;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Bounds of {@link ApiRetry}: how often and how long reads and writes of the cluster are retried when the API
 * server fails transiently (429, 500, 502, 503, 504, timeouts, dropped connections).
 */
@ConfigMapping(prefix = "meshwarden.retry")
public interface RetryConfig {
    /** Requests per call, the first included; 1 turns retrying off. */
    @WithDefault("5")
    int maxAttempts();

    /** Upper bound of the first backoff; it doubles per attempt and the wait is drawn at random below it. */
    @WithDefault("200ms")
    Duration initialBackoff();

    @WithDefault("10s")
    Duration maxBackoff();

    /** A longer Retry-After from the server is cut to this. */
    @WithDefault("30s")
    Duration maxRetryAfter();
}

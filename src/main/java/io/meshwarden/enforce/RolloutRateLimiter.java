package io.meshwarden.enforce;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** Spaces the enforcer's writes so that a large plan cannot flood the API server. */
@FunctionalInterface
public interface RolloutRateLimiter {
    RolloutRateLimiter UNLIMITED = () -> {
    };

    /** Blocks until one more write may be sent. */
    void acquire() throws InterruptedException;

    /**
     * At most {@code writesPerSecond} writes a second, evenly spaced: no burst allowance, since the point is to
     * keep enforcement slow and steady. A rate of 0 or less means no limit.
     */
    static RolloutRateLimiter perSecond(double writesPerSecond, Clock clock, RolloutSleeper sleeper) {
        if (writesPerSecond <= 0) {
            return UNLIMITED;
        }
        Duration interval = Duration.ofNanos(Math.max(1L, (long) (1_000_000_000L / writesPerSecond)));
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(sleeper, "sleeper");
        return new RolloutRateLimiter() {
            private Instant next;

            @Override
            public synchronized void acquire() throws InterruptedException {
                Instant now = clock.instant();
                if (next != null && now.isBefore(next)) {
                    sleeper.sleep(Duration.between(now, next));
                    // A sleeper may wake early or a fake clock may not move: the slot is ours either way.
                    now = next;
                }
                next = now.plus(interval);
            }
        };
    }
}

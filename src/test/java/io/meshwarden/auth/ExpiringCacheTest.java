package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExpiringCacheTest {
    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void answersAreReusedUntilTheyExpire() {
        ManualClock clock = new ManualClock();
        ExpiringCache<String, Integer> cache = new ExpiringCache<>(10, Duration.ofSeconds(10), clock);
        AtomicInteger loads = new AtomicInteger();
        assertEquals(1, cache.get("k", k -> loads.incrementAndGet()));
        clock.now = clock.now.plusSeconds(9);
        assertEquals(1, cache.get("k", k -> loads.incrementAndGet()));
        clock.now = clock.now.plusSeconds(1);
        assertEquals(2, cache.get("k", k -> loads.incrementAndGet()));
        assertEquals(2, loads.get());
    }

    @Test
    void theLeastRecentlyUsedGoFirstAndFailuresAreNotKept() {
        ExpiringCache<String, String> cache = new ExpiringCache<>(2, Duration.ofMinutes(1), new ManualClock());
        cache.get("a", k -> "A");
        cache.get("b", k -> "B");
        cache.get("a", k -> "A2");
        cache.get("c", k -> "C");
        assertEquals(2, cache.size());
        assertEquals("A", cache.get("a", k -> "A3"));
        assertEquals("B2", cache.get("b", k -> "B2"));
        assertThrows(IllegalStateException.class, () -> cache.get("x", k -> {
            throw new IllegalStateException("API server down");
        }));
        assertEquals("X", cache.get("x", k -> "X"));
    }

    @Test
    void aZeroTtlCachesNothing() {
        ExpiringCache<String, Integer> cache = new ExpiringCache<>(2, Duration.ZERO, new ManualClock());
        AtomicInteger loads = new AtomicInteger();
        cache.get("k", k -> loads.incrementAndGet());
        cache.get("k", k -> loads.incrementAndGet());
        assertEquals(2, loads.get());
    }
}

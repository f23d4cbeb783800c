package io.meshwarden.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.auth.Caller;
import io.meshwarden.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionsTest {
    static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void sessionsEndWhenIdleAndAfterTheirAbsoluteLifetime() {
        FakeClock clock = new FakeClock(T0);
        Sessions sessions = new Sessions(clock);
        Sessions.Session s = sessions.create("t", Caller.ANONYMOUS);
        assertEquals(43, s.id().length());
        assertNotEquals(s.id(), s.csrf());
        clock.advance(Sessions.IDLE.minusSeconds(1));
        assertTrue(sessions.find(s.id()).isPresent(), "used within the idle time");
        clock.advance(Sessions.IDLE.plusSeconds(1));
        assertFalse(sessions.find(s.id()).isPresent(), "idle too long");

        Sessions.Session busy = sessions.create("t", Caller.ANONYMOUS);
        for (Duration d = Duration.ZERO; d.compareTo(Sessions.ABSOLUTE) < 0; d = d.plus(Sessions.IDLE.dividedBy(2))) {
            assertTrue(sessions.find(busy.id()).isPresent());
            clock.advance(Sessions.IDLE.dividedBy(2));
        }
        clock.advance(Duration.ofSeconds(1));
        assertFalse(sessions.find(busy.id()).isPresent(), "past the absolute lifetime, however busy");
    }

    @Test
    void theLeastRecentlyUsedGoesFirstPastTheBound() {
        Sessions sessions = new Sessions(new FakeClock(T0));
        Sessions.Session first = sessions.create("t", Caller.ANONYMOUS);
        Sessions.Session second = sessions.create("t", Caller.ANONYMOUS);
        sessions.find(first.id());
        for (int i = 0; i < Sessions.MAX - 1; i++) {
            sessions.create("t", Caller.ANONYMOUS);
        }
        assertEquals(Sessions.MAX, sessions.size());
        assertTrue(sessions.find(first.id()).isPresent(), "recently used: kept");
        assertFalse(sessions.find(second.id()).isPresent(), "least recently used: dropped");
    }

    @Test
    void csrfTokensCompareExactly() {
        Sessions.Session s = new Sessions(new FakeClock(T0)).create("t", Caller.ANONYMOUS);
        assertTrue(s.csrfMatches(s.csrf()));
        assertFalse(s.csrfMatches(null));
        assertFalse(s.csrfMatches(""));
        assertFalse(s.csrfMatches(s.csrf().substring(1)));
    }
}

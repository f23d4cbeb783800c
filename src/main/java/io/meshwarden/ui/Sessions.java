package io.meshwarden.ui;

import io.meshwarden.auth.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The dashboard's sessions, in memory only: a restart logs everyone out, which is the safe way round. Bounded (the
 * least recently used session goes first) and expiring (idle and absolute), so a flood of logins cannot grow the
 * heap. The bearer token stays here, never in a page or a cookie: each request is authenticated again with it, so a
 * revoked token ends its sessions at once.
 */
@ApplicationScoped
public class Sessions {
    static final int MAX = 1000;
    static final Duration IDLE = Duration.ofMinutes(30);
    static final Duration ABSOLUTE = Duration.ofHours(8);

    /**
     * @param token the bearer token that logged in; null when authentication is off
     * @param csrf  the token every state-changing form of this session must send back
     */
    public record Session(String id, String token, Caller caller, String csrf, Instant created, Instant lastSeen) {
        Session touched(Instant now) {
            return new Session(id, token, caller, csrf, created, now);
        }

        /** Constant-time, so the time of a refusal says nothing about how much of a guess was right. */
        public boolean csrfMatches(String presented) {
            return presented != null && MessageDigest.isEqual(csrf.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    presented.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** Per instance, made at run time: a static one could be built into the native image with its seed. */
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
            return size() > MAX;
        }
    };

    public Sessions() {
        this(Clock.systemUTC());
    }

    Sessions(Clock clock) {
        this.clock = clock;
    }

    public Session create(String token, Caller caller) {
        Instant now = clock.instant();
        Session s = new Session(randomId(), token, caller, randomId(), now, now);
        synchronized (sessions) {
            sessions.put(s.id(), s);
        }
        return s;
    }

    /** The live session of a cookie value, its idle time restarted; empty when unknown or expired. */
    public Optional<Session> find(String id) {
        if (id == null || id.length() != 43) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        synchronized (sessions) {
            Session s = sessions.get(id);
            if (s == null) {
                return Optional.empty();
            }
            if (now.isAfter(s.lastSeen().plus(IDLE)) || now.isAfter(s.created().plus(ABSOLUTE))) {
                sessions.remove(id);
                return Optional.empty();
            }
            Session t = s.touched(now);
            sessions.put(id, t);
            return Optional.of(t);
        }
    }

    public void remove(String id) {
        if (id != null) {
            synchronized (sessions) {
                sessions.remove(id);
            }
        }
    }

    int size() {
        synchronized (sessions) {
            return sessions.size();
        }
    }

    /** 256 bits, URL-safe Base64 without padding: 43 characters. */
    String randomId() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

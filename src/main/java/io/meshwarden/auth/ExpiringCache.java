package io.meshwarden.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A small LRU map whose entries expire: enough for review answers, which are few and short-lived. Loads happen
 * outside the lock, so a slow API server does not serialize every request; two concurrent misses may both load.
 */
final class ExpiringCache<K, V> {
    private record Entry<V>(V value, Instant expires) {
    }

    private final Duration ttl;
    private final Clock clock;
    private final LinkedHashMap<K, Entry<V>> map;

    ExpiringCache(int maxSize, Duration ttl, Clock clock) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("cache size must be at least 1, got " + maxSize);
        }
        this.ttl = ttl;
        this.clock = clock;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > maxSize;
            }
        };
    }

    /** The cached value, or the loaded one (cached unless the loader throws). */
    V get(K key, Function<K, V> loader) {
        Instant now = clock.instant();
        synchronized (map) {
            Entry<V> e = map.get(key);
            if (e != null && now.isBefore(e.expires())) {
                return e.value();
            }
        }
        V value = loader.apply(key);
        if (!ttl.isZero() && !ttl.isNegative()) {
            synchronized (map) {
                map.put(key, new Entry<>(value, clock.instant().plus(ttl)));
            }
        }
        return value;
    }

    int size() {
        synchronized (map) {
            return map.size();
        }
    }
}

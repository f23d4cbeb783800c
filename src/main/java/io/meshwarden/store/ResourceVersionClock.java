package io.meshwarden.store;

/**
 * Hands out strictly increasing resource versions that stay monotonic across restarts: each value is at least the
 * wall clock in microseconds and above every version seen on disk, so a deleted newest policy cannot make a later
 * version repeat an older one (unless the clock jumps back by more than the process was down).
 */
public final class ResourceVersionClock {
    private long last;

    public synchronized long next() {
        long now = System.currentTimeMillis() * 1000;
        last = Math.max(last + 1, now);
        return last;
    }

    public synchronized void observe(long seen) {
        last = Math.max(last, seen);
    }
}

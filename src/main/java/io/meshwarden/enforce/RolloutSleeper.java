package io.meshwarden.enforce;

import java.time.Duration;

/** Waits between polls; injected so tests can move a fake clock instead of sleeping. */
@FunctionalInterface
public interface RolloutSleeper {
    RolloutSleeper SYSTEM = d -> {
        if (!d.isNegative() && !d.isZero()) {
            Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
        }
    };

    void sleep(Duration duration) throws InterruptedException;
}

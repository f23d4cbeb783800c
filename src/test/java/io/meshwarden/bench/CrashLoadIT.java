package io.meshwarden.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.testing.PackagedArtifact;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short CI run of bench/crash-load.sh against the packaged app (jar or native executable): concurrent REST writers, the app killed with
 * kill -9 at random moments, every acknowledged write checked after each restart. Size it with
 * -Dmwtest.crashload.iterations and -Dmwtest.crashload.writers (pom: 10 and 20); -Dmwtest.auth=none runs the app
 * with authentication off instead of a tokens file.
 */
class CrashLoadIT {
    @TempDir
    Path work;

    @Test
    void acknowledgedRestWritesSurviveKillNineUnderLoad() throws Exception {
        PackagedArtifact app = PackagedArtifact.current();
        Assumptions.assumeTrue(app.exists(), "needs the packaged application: " + app.describe());
        int iterations = Integer.getInteger("mwtest.crashload.iterations", 10);
        int writers = Integer.getInteger("mwtest.crashload.writers", 20);
        String auth = System.getProperty("mwtest.auth", "tokens");
        long seed = Long.getLong("mwtest.crashload.seed", System.nanoTime());
        // C1 only and the serial GC: a JVM start costs a third of the CPU on a busy 2-core CI machine, and crash
        // safety does not depend on the JIT. The native executable ignores both (PackagedArtifact drops them).
        CrashLoadDriver.Options options = new CrashLoadDriver.Options(app, work, iterations, writers, 3, 10, 200, 800,
                auth, seed, List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        CrashLoadDriver.Totals totals = new CrashLoadDriver(options, System.out).run();
        assertEquals(0, totals.violations(), "seed " + seed + ": " + totals);
        assertTrue(totals.acked() >= iterations, "the writers must have been acknowledged writes: " + totals);
    }
}

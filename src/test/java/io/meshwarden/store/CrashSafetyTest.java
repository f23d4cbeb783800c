package io.meshwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meshwarden.policy.MeshPolicy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing process with SIGKILL (kill -9) at random moments, many times over the same directory, and checks
 * after each kill that (1) every file is a complete, valid policy, (2) every acknowledged write is there exactly as
 * acknowledged, except for the single operation in flight at the kill, which may have landed or not, and (3) the
 * next process hands out versions above every acknowledged one. Iterations: -Dmwtest.crash.iterations (pom: 60).
 *
 * <p>SIGKILL loses the process but not the kernel's page cache; the fsyncs that protect against power loss are in
 * {@link AtomicFiles} and cannot be exercised without cutting power.
 */
class CrashSafetyTest {
    @TempDir
    Path dir;

    /** What the test knows about one name: its acknowledged version, or null when acknowledged as deleted. */
    private final Map<String, String> acked = new HashMap<>();

    @Test
    void acknowledgedWritesSurviveKillNine() throws Exception {
        int iterations = Integer.getInteger("mwtest.crash.iterations", 60);
        Random random = new Random(20261124L);
        long maxAcked = 0;
        int totalAcks = 0;
        int landedInFlight = 0;
        for (int i = 0; i < iterations; i++) {
            Run run = runAndKill(random.nextLong(), 20 + random.nextInt(250));
            totalAcks += run.acks;
            Map<String, String> onDisk = reopen();
            for (String name : union(acked.keySet(), onDisk.keySet(), run.acked.keySet())) {
                String before = run.acked.containsKey(name) ? run.acked.get(name) : acked.get(name);
                String now = onDisk.get(name);
                boolean inFlight = name.equals(run.inFlightName);
                if (eq(before, now)) {
                    continue;
                }
                if (!inFlight) {
                    fail("iteration " + i + ": " + name + " acknowledged as " + before + " but disk has " + now);
                }
                // The in-flight operation landed: a newer version, a deletion, or a fresh create.
                boolean landed = switch (run.inFlightOp) {
                    case "delete" -> now == null;
                    case "update", "create" -> now != null && (before == null || Long.parseLong(now) > Long
                            .parseLong(before));
                    default -> false;
                };
                assertTrue(landed, "iteration " + i + ": in-flight " + run.inFlightOp + " of " + name
                        + " left " + now + " (acked " + before + ")");
                landedInFlight++;
            }
            for (String v : run.acked.values()) {
                if (v != null) {
                    maxAcked = Math.max(maxAcked, Long.parseLong(v));
                }
            }
            acked.clear();
            acked.putAll(onDisk);
        }
        FilePolicyStore store = new FilePolicyStore(dir, new ResourceVersionClock(), null);
        store.load();
        long next = Long.parseLong(store.create(TestPolicies.tracing("after-crashes", "1")).metadata()
                .resourceVersion());
        assertTrue(next > maxAcked, "version " + next + " after restart must exceed every acknowledged " + maxAcked);
        assertTrue(totalAcks > iterations, "the writer must have acknowledged writes (" + totalAcks + ")");
        System.out.printf("crash-safety: %d kill -9 iterations, %d acknowledged writes, %d in-flight writes "
                + "landed%n", iterations, totalAcks, landedInFlight);
    }

    private record Run(Map<String, String> acked, String inFlightOp, String inFlightName, int acks) {
    }

    private Run runAndKill(long seed, int millisAfterFirstAck) throws Exception {
        Path stderr = Files.createTempFile("crash-writer", ".err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), CrashWriter.class.getName(), dir.toString(),
                String.valueOf(seed)).redirectError(stderr.toFile()).start();
        Map<String, String> runAcked = new HashMap<>();
        String[] inFlight = new String[2];
        int[] acks = new int[1];
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch firstAck = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String[] f = line.split(" ");
                    if (f[0].equals("READY")) {
                        ready.countDown();
                    } else if (f[0].equals("BEGIN")) {
                        inFlight[0] = f[1];
                        inFlight[1] = f[2];
                    } else if (f[0].equals("ACK")) {
                        runAcked.put(f[2], f[3].equals("-") ? null : f[3]);
                        inFlight[0] = null;
                        inFlight[1] = null;
                        acks[0]++;
                        firstAck.countDown();
                    }
                }
            } catch (Exception ignored) {
                // the pipe breaks when the process is killed
            }
        });
        reader.start();
        if (!ready.await(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("writer did not start");
        }
        // Kill at a random moment after writing has begun; if the writer dies on its own, show why.
        if (!firstAck.await(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("writer acknowledged nothing: " + Files.readString(stderr));
        }
        Thread.sleep(millisAfterFirstAck);
        int rc = new ProcessBuilder("kill", "-9", String.valueOf(p.pid())).start().waitFor();
        assertEquals(0, rc, "kill -9 failed");
        p.waitFor(30, TimeUnit.SECONDS);
        reader.join(10_000);
        Files.deleteIfExists(stderr);
        // A line cut mid-write by the kill is never an ACK: ACK lines are printed after the store returned.
        return new Run(runAcked, inFlight[0], inFlight[1], acks[0]);
    }

    private Map<String, String> reopen() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            long temps = files.filter(AtomicFiles::isTemp).count();
            assertTrue(temps <= 1, "at most the one in-flight temp file may be left, found " + temps);
        }
        FilePolicyStore store = new FilePolicyStore(dir, new ResourceVersionClock(), null);
        store.load();
        assertEquals(List.of(), store.loadErrors(), "a torn or invalid file was found after kill -9");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.filter(AtomicFiles::isTemp).count(), "load must remove crash leftovers");
        }
        Map<String, String> out = new HashMap<>();
        for (MeshPolicy p : store.list()) {
            out.put(p.name(), p.metadata().resourceVersion());
        }
        return out;
    }

    private static boolean eq(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

    private static List<String> union(java.util.Set<String> a, java.util.Set<String> b, java.util.Set<String> c) {
        java.util.Set<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        all.addAll(c);
        return new ArrayList<>(all);
    }

}

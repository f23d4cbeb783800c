package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.testing.PackagedArtifact;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Crash safety under load through the REST API: concurrent writers create, update (If-Match or unconditional) and
 * delete policies on the packaged app while it is killed with kill -9 at a random moment (a random delay after the
 * iteration's first acknowledged write), over and over on the same store directory. After each restart it checks
 * that every write answered 2xx is served exactly (version and content, or 404 for a delete) except the one write per
 * writer in flight at the kill, that no file in the store directory is torn, and that versions handed out after the
 * restart exceed every acknowledged one.
 *
 * <pre>
 *   java -cp target/test-classes:target/classes:target/quarkus-app/lib/main/* io.meshwarden.bench.CrashLoadDriver \
 *       [--iterations 200] [--writers 100] [--own 3] [--shared 10] [--kill-ms 200-2000] [--auth tokens|none] \
 *       [--seed N] [--work DIR] [--jar target/quarkus-app/quarkus-run.jar | --native target/native/meshwarden-runner] \
 *       [--jvm "-Xmx256m ..."]
 * </pre>
 *
 * Prints one line per iteration and the totals; exits 1 on any lost write, torn file, non-monotonic version or
 * unexpected answer.
 */
public final class CrashLoadDriver {
    private static final String PROBE = "crash-probe";

    /** What to run. */
    public record Options(PackagedArtifact artifact, Path work, int iterations, int writers, int ownNames, int sharedNames,
            int killMinMs, int killMaxMs, String auth, long seed, List<String> jvmOptions) {
    }

    /** Sums over iterations; {@link #violations()} must be 0. */
    public record Totals(int iterations, long acked, long conflicts, long landedInFlight, long lost, long torn,
            long nonMonotonic, long errors, long readyMillis) {
        static final Totals NONE = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0);

        public long violations() {
            return lost + torn + nonMonotonic + errors;
        }

        Totals plus(Totals o) {
            return new Totals(iterations + o.iterations, acked + o.acked, conflicts + o.conflicts,
                    landedInFlight + o.landedInFlight, lost + o.lost, torn + o.torn, nonMonotonic + o.nonMonotonic,
                    errors + o.errors, readyMillis + o.readyMillis);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "iterations %d, acknowledged writes %d, conflicts %d, in-flight "
                    + "writes that landed %d, lost %d, torn %d, non-monotonic %d, unexpected answers %d, mean "
                    + "restart-to-ready %d ms", iterations, acked, conflicts, landedInFlight, lost, torn, nonMonotonic,
                    errors, iterations == 0 ? 0 : readyMillis / iterations);
        }
    }

    private final Options options;
    private final PrintStream out;
    private final AckLedger ledger = new AckLedger();
    private final Random random;
    private final String[] shared;
    private final Path store;
    private final BenchAuth auth;
    private final PackagedApp app;
    /** Every version handed out so far is at most this. */
    private long floor;

    public CrashLoadDriver(Options options, PrintStream out) throws IOException {
        this.options = options;
        this.out = out;
        this.random = new Random(options.seed());
        this.shared = CrashLoadWriter.sharedNames(options.sharedNames());
        this.store = Files.createDirectories(options.work().resolve("store"));
        this.auth = BenchAuth.create(options.auth(), options.work());
        this.app = new PackagedApp(options.artifact(), store, options.work().resolve("app.log"), options.jvmOptions(),
                auth);
    }

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        Totals t = new CrashLoadDriver(o, System.out).run();
        System.exit(t.violations() == 0 ? 0 : 1);
    }

    public Totals run() throws IOException, InterruptedException {
        out.printf(Locale.ROOT, "crash-load: %d iterations, %d writers (%d own names each, %d shared names), kill "
                + "%d-%d ms after the first acknowledged write, auth %s, seed %d, work directory %s%n",
                options.iterations(), options.writers(), options.ownNames(), options.sharedNames(),
                options.killMinMs(), options.killMaxMs(), options.auth(), options.seed(), options.work());
        Totals totals = Totals.NONE;
        app.start("first start");
        try {
            for (int i = 1; i <= options.iterations(); i++) {
                totals = totals.plus(iteration(i));
            }
        } finally {
            app.killNine();
        }
        out.println("crash-load totals: " + totals + (totals.violations() == 0 ? ": OK" : ": FAILED"));
        return totals;
    }

    /** Writes until a random moment, kills, restarts, checks, prints a line. */
    private Totals iteration(int i) throws IOException, InterruptedException {
        int killAfter = options.killMinMs() + random.nextInt(options.killMaxMs() - options.killMinMs() + 1);
        ledger.startIteration(options.writers(), floor);
        long writersStart = System.nanoTime();
        boolean writing = writeAndKill(killAfter);
        long sinceStart = (System.nanoTime() - writersStart) / 1_000_000;
        StoreScan scan = StoreScan.of(store);

        long readyMs = app.start("restart after kill " + i);
        PolicyClient check = new PolicyClient(app.port(), auth.token());
        Map<String, AckLedger.Seen> served = served(check);
        List<String> torn = tornOrInconsistent(scan, served, check);
        List<String> wrongGets = checkEachGet(check, served, ledger);
        AckLedger.Verdict verdict = ledger.verify(served);
        floor = ledger.rebase(served);
        List<String> monotonic = new ArrayList<>();
        floor = probe(check, floor, monotonic);

        int acked = ledger.creates.get() + ledger.updates.get() + ledger.deletes.get();
        int conflicts = ledger.conflicts409.get() + ledger.conflicts412.get() + ledger.races404.get();
        int lost = verdict.lost().size() + wrongGets.size();
        int nonMonotonic = ledger.nonMonotonic.get() + monotonic.size();
        int unexpected = ledger.errors.get() + (writing ? 0 : 1);
        out.printf(Locale.ROOT, "iteration %d/%d: killed %d ms after the first ack (%d ms after the writers "
                + "started%s), acked %d (create %d, update %d, delete %d), conflicts 409 %d / 412 %d / 404 %d, names "
                + "%d, in-flight landed %d, restart ready %d ms, lost %d, torn %d, non-monotonic %d, unexpected %d%n",
                i, options.iterations(), killAfter, sinceStart, writing ? "" : ", NO ack within 30 s", acked,
                ledger.creates.get(), ledger.updates.get(), ledger.deletes.get(), ledger.conflicts409.get(),
                ledger.conflicts412.get(), ledger.races404.get(), verdict.checked(), verdict.landedInFlight(),
                readyMs, lost, torn.size(), nonMonotonic, unexpected);
        List<String> details = new ArrayList<>(verdict.lost());
        details.addAll(wrongGets);
        details.addAll(torn);
        details.addAll(monotonic);
        details.addAll(ledger.problems());
        details.stream().limit(20).forEach(d -> out.println("  VIOLATION " + d));
        return new Totals(1, acked, conflicts, verdict.landedInFlight(), lost, torn.size(), nonMonotonic, unexpected,
                readyMs);
    }

    /** Starts the writers, kills the app a random delay after the first acknowledged write, waits for them all. */
    private boolean writeAndKill(int killAfter) throws IOException, InterruptedException {
        PolicyClient api = new PolicyClient(app.port(), auth.token());
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < options.writers(); w++) {
            Thread t = new Thread(new CrashLoadWriter(w, ledger.iteration(), options.ownNames(), shared, api,
                    ledger, random.nextLong()), "writer-" + w);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        // The delay runs from the first acknowledged write so that a JVM still warming up is killed under load too.
        boolean writing = ledger.awaitFirstAck(30_000);
        Thread.sleep(killAfter);
        app.killNine();
        for (Thread t : threads) {
            t.join(60_000);
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " still running 60 s after the kill");
            }
        }
        return writing;
    }

    /** Torn files, leftover temp files, and any difference between the files and what the restarted app loaded. */
    private static List<String> tornOrInconsistent(StoreScan scan, Map<String, AckLedger.Seen> served,
            PolicyClient check) throws IOException {
        List<String> torn = new ArrayList<>(scan.torn());
        if (scan.tempFiles() > 1) {
            torn.add(scan.tempFiles() + " temp files left; writes are serialized, so at most 1 may be");
        }
        Map<String, String> disk = new TreeMap<>(scan.versions());
        disk.remove(PROBE);
        Map<String, String> servedVersions = new TreeMap<>();
        served.forEach((n, s) -> servedVersions.put(n, s.version()));
        if (!disk.equals(servedVersions)) {
            torn.add("the restarted app serves other versions than the files hold");
        }
        check.getPath("/api/v1/sources").body().path("store").path("errors")
                .forEach(e -> torn.add("app load error: " + e));
        return torn;
    }

    /** Every store policy the restarted app lists, except the probe. */
    private static Map<String, AckLedger.Seen> served(PolicyClient api) throws IOException {
        PolicyClient.Reply list = api.list();
        if (list.status() != 200 || list.body() == null) {
            throw new IllegalStateException("GET /api/v1/policies after restart answered " + list.status());
        }
        Map<String, AckLedger.Seen> out = new TreeMap<>();
        for (JsonNode item : list.body().path("items")) {
            String name = item.path("metadata").path("name").asText();
            if (!name.equals(PROBE)) {
                out.put(name, new AckLedger.Seen(item.path("metadata").path("resourceVersion").asText(),
                        AckLedger.contentHash(item), AckLedger.opOf(item)));
            }
        }
        return out;
    }

    /** GET of each name the ledger knows must agree with the list: same ETag and content, or 404. */
    private static List<String> checkEachGet(PolicyClient api, Map<String, AckLedger.Seen> served, AckLedger ledger)
            throws InterruptedException {
        List<String> names = new ArrayList<>(ledger.names());
        names.addAll(served.keySet());
        List<String> mismatches = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (String name : names.stream().distinct().toList()) {
                results.add(pool.submit(() -> {
                    PolicyClient.Reply r = api.get(name);
                    AckLedger.Seen s = served.get(name);
                    if (s == null) {
                        return r.status() == 404 ? null : "GET " + name + ": " + r.status() + ", not in the list";
                    }
                    if (r.status() != 200 || !s.version().equals(r.version())
                            || !s.hash().equals(AckLedger.contentHash(r.body()))) {
                        return "GET " + name + ": " + r.status() + " ETag " + r.etag() + ", the list has version "
                                + s.version();
                    }
                    return null;
                }));
            }
            for (Future<String> f : results) {
                String problem;
                try {
                    problem = f.get();
                } catch (ExecutionException e) {
                    problem = "GET failed: " + e.getCause();
                }
                if (problem != null) {
                    mismatches.add(problem);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return mismatches;
    }

    /** One write right after the restart: its version must exceed everything handed out before. */
    private static long probe(PolicyClient api, long floor, List<String> problems) throws IOException {
        String body = "{\"apiVersion\":\"meshwarden.io/v1alpha1\",\"kind\":\"MeshPolicy\",\"metadata\":{\"name\":\""
                + PROBE + "\",\"labels\":{\"op\":\"probe-" + System.nanoTime() + "\"}},\"spec\":{\"type\":"
                + "\"TraceSampling\",\"parameters\":{\"maxPercent\":1}}}";
        PolicyClient.Reply r = api.get(PROBE).status() == 404 ? api.create(body) : api.put(PROBE, body, null);
        if (!r.ok() || r.version() == null) {
            problems.add("probe write after restart answered " + r.status());
            return floor;
        }
        long v = Long.parseLong(r.version());
        if (v <= floor) {
            problems.add("probe write after restart got version " + v + ", not above " + floor);
        }
        return Math.max(floor, v);
    }

    static Options parse(String[] args) throws IOException {
        Map<String, String> a = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: --name value pairs; got " + Arrays.toString(args));
            }
            a.put(args[i].substring(2), args[++i]);
        }
        String[] kill = a.getOrDefault("kill-ms", "200-2000").split("-");
        Path work = a.containsKey("work") ? Files.createDirectories(Path.of(a.get("work")))
                : Files.createTempDirectory("crash-load");
        String jvm = a.getOrDefault("jvm", "").trim();
        PackagedArtifact artifact = a.containsKey("native")
                ? new PackagedArtifact(Path.of(a.get("native")).toAbsolutePath(), true)
                : new PackagedArtifact(Path.of(a.getOrDefault("jar", PackagedArtifact.JAR.toString())).toAbsolutePath(),
                        false);
        return new Options(artifact, work,
                Integer.parseInt(a.getOrDefault("iterations", "200")), Integer.parseInt(a.getOrDefault("writers",
                "100")), Integer.parseInt(a.getOrDefault("own", "3")), Integer.parseInt(a.getOrDefault("shared",
                "10")), Integer.parseInt(kill[0]), Integer.parseInt(kill[1]), a.getOrDefault("auth", "tokens"),
                Long.parseLong(a.getOrDefault("seed", String.valueOf(System.nanoTime()))),
                jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+")));
    }
}

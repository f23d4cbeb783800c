package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.enforce.Applier;
import io.meshwarden.testing.PackagedArtifact;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, Meshwarden killed mid-run: the packaged application (target/quarkus-app, built by the normal verify)
 * enforces 30 CronJob labels paced at 4 writes per second against a control plane of this class' own; once the API
 * server's audit log shows the 10th of its writes it is killed with {@code kill -9}, started again, and a new run is
 * asked for. The next run converges, and over both processes each object was written once, with at most one Event.
 * Runs live in memory, so the killed run's revert record is gone: the next run must say so in its notes, naming the
 * workloads it applied.
 */
class MeshwardenKilledFaultsE2E {
    static final int CRON_JOBS = 30;
    static final int KILL_AFTER = 10;
    static final String SETUP_AGENT = "meshwarden-faults-e2e-setup";
    static final ObjectMapper JSON = new ObjectMapper();

    static FaultControlPlane cp;

    KubernetesClient client;
    String ns;
    Path work;
    Process app;
    int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void up() {
        if (!PackagedArtifact.current().exists()) {
            fail(PackagedArtifact.current().describe() + " is missing: build it with ./mvnw package -DskipTests");
        }
        cp = FaultControlPlane.up("controlplane-faults-app");
    }

    @AfterAll
    static void down() {
        if (cp != null) {
            cp.down();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        client = cp.client(SETUP_AGENT);
        ControlPlane.installIstioCrds(client);
        ns = ControlPlane.namespace(client, "e2e-appkill-" + ControlPlane.suffix(), Map.of("istio-injection",
                "enabled"));
        for (int i = 0; i < CRON_JOBS; i++) {
            client.resource(EnforcementE2E.cronJob(ns, String.format("job-%02d", i))).create();
        }
        work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "faults-app-");
        Path store = Files.createDirectories(work.resolve("policies"));
        Files.writeString(store.resolve("fault-jobs.yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                + "metadata: {name: fault-jobs, resourceVersion: \"1\"}\nspec:\n  type: InjectionExclusion\n  mode: enforce\n"
                + "  target: {namespaces: {include: [" + ns + "]}}\n  parameters: {whenNativeSidecars: enforce}\n");
    }

    @AfterEach
    void tearDown() {
        stopApp();
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    @Test
    void theNextRunConvergesAndNothingIsWrittenTwice() throws Exception {
        startApp("first");
        JsonNode first = post("/api/v1/runs");
        assertEquals("running", first.path("outcome").asText(), first::toString);
        int seen = awaitWrites(KILL_AFTER);
        app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        int landed = appWrites().size();

        startApp("second");
        JsonNode started = post("/api/v1/runs");
        JsonNode second = awaitRun(started.path("id").asText());
        assertEquals("applied", second.path("outcome").asText(), second::toString);
        Set<String> appliedBySecond = applied(second);

        Set<String> all = new TreeSet<>();
        for (int i = 0; i < CRON_JOBS; i++) {
            all.add(String.format("job-%02d", i));
        }
        for (String name : all) {
            GenericKubernetesResource cron = client.genericKubernetesResources("batch/v1", "CronJob").inNamespace(ns)
                    .withName(name).get();
            assertEquals("false", cron.get("spec", "jobTemplate", "spec", "template", "metadata", "labels",
                    "sidecar.istio.io/inject"), name + " converged");
        }
        Map<String, Long> perObject = new TreeMap<>(appWrites().stream().collect(Collectors.groupingBy(
                FaultControlPlane.Write::name, Collectors.counting())));
        Map<String, Long> once = new TreeMap<>();
        all.forEach(n -> once.put(n, 1L));
        assertEquals(once, perObject, "answered writes of the packaged app per CronJob, from the audit log");
        assertEquals(CRON_JOBS - landed, appliedBySecond.size(), "the next run applied exactly the rest");

        Map<String, Long> events = new TreeMap<>();
        client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> Applier.EVENT_REASON.equals(e.getReason()))
                .forEach(e -> events.merge(e.getInvolvedObject().getName(), 1L, Long::sum));
        assertTrue(events.values().stream().allMatch(n -> n == 1), () -> "at most one Event each: " + events);
        long missingEvents = CRON_JOBS - events.size();
        String line = String.format("Meshwarden (packaged app) kill -9 after write %d | writes landed before the"
                + " kill %d | next run: applied %d, outcome %s | changes checked %d | duplicates %d | Events missing"
                + " %d%n", seen, landed, appliedBySecond.size(), second.path("outcome").asText(), CRON_JOBS,
                perObject.values().stream().mapToLong(n -> n - 1).sum(), missingEvents);
        System.out.print("FAULTS " + line);
        Files.writeString(ApiServerFaultsE2E.FIGURES, line, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);

        // The revert record: what the killed run applied must be in a later run's record, or the loss stated.
        List<String> notes = new ArrayList<>();
        second.path("notes").forEach(n -> notes.add(n.asText()));
        Set<String> recorded = new TreeSet<>(appliedBySecond);
        Set<String> lost = new TreeSet<>(all);
        lost.removeAll(recorded);
        assertTrue(lost.isEmpty() || notes.stream().anyMatch(n -> n.startsWith(lost.size() + " workload(s) carry "
                + Applier.APPLIED_BY) && n.contains("no revert record") && lost.stream().limit(10)
                        .allMatch(name -> n.contains("CronJob " + ns + "/" + name))),
                () -> lost.size() + " CronJob(s) the killed run applied are in no run's revert record and the next"
                        + " run's notes do not say so: " + lost + "; notes: " + notes);
    }

    // ------------------------------------------------------------------------------------------------ the app

    void startApp(String label) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> options = List.of("-Xmx256m", "-Dquarkus.http.port=" + port,
                "-Dmeshwarden.store.type=file", "-Dmeshwarden.store.dir=" + work.resolve("policies"),
                "-Dmeshwarden.cluster.enabled=true", "-Dmeshwarden.cluster.istio-namespace=" + ns + "-istio",
                "-Dmeshwarden.audit.enabled=false", "-Dmeshwarden.enforce.enabled=false",
                "-Dmeshwarden.leader-election.enabled=false", "-Dmeshwarden.auth.mode=none",
                "-Dmeshwarden.rollout.writes-per-second=4");
        ProcessBuilder pb = new ProcessBuilder(PackagedArtifact.current().command(options, List.of()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("app.log").toFile()));
        pb.environment().put("KUBECONFIG", cp.state().resolve("kubeconfig").toString());
        Files.writeString(work.resolve("app.log"), "== " + label + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        app = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!app.isAlive()) {
                fail("the app exited (" + app.exitValue() + "); see " + work.resolve("app.log"));
            }
            try {
                if (http.send(HttpRequest.newBuilder(uri("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            if (System.nanoTime() > deadline) {
                fail("the app was not ready within 90 s; see " + work.resolve("app.log"));
            }
            Thread.sleep(200);
        }
    }

    void stopApp() {
        if (app != null && app.isAlive()) {
            app.destroyForcibly();
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    JsonNode post(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers
                .noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() / 100 == 2, () -> "POST " + path + ": " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    JsonNode awaitRun(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/v1/runs/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode run = JSON.readTree(r.body());
            if (!"running".equals(run.path("outcome").asText())) {
                return run;
            }
            if (System.nanoTime() > deadline) {
                fail("run " + id + " still running after 120 s");
            }
            Thread.sleep(250);
        }
    }

    /** The CronJobs a run's outcomes record as applied. */
    static Set<String> applied(JsonNode run) {
        Set<String> names = new TreeSet<>();
        for (JsonNode o : run.path("outcomes")) {
            if ("APPLIED".equals(o.path("status").asText())) {
                String id = o.path("change").path("id").asText();
                names.add(id.substring(id.lastIndexOf('/') + 1, id.lastIndexOf('#')));
            }
        }
        return names;
    }

    int awaitWrites(int k) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        int seen;
        while ((seen = appWrites().size()) < k) {
            if (System.nanoTime() > deadline) {
                fail("no write " + k + " of the app within 90 s; seen " + seen + "; see " + work.resolve("app.log"));
            }
            Thread.sleep(10);
        }
        return seen;
    }

    /** The app's answered writes to the CronJobs: every client in the namespace but the test's own. */
    List<FaultControlPlane.Write> appWrites() {
        return cp.writes().stream().filter(w -> ns.equals(w.namespace()) && !SETUP_AGENT.equals(w.userAgent())
                && w.succeeded() && "cronjobs".equals(w.resource()) && w.subresource() == null).toList();
    }
}

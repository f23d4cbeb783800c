package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.testing.PackagedArtifact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application (target/quarkus-app, built by the normal verify; the e2e profile does not build it) as a
 * child process of a fault test: started against a kubeconfig, reached over its REST API, killed or paused with
 * signals. Authentication is off and the scheduled audit and enforcement too: runs are asked for by the test.
 */
final class PackagedMeshwarden {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path log;
    private final Process process;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PackagedMeshwarden(Path log, Process process, int port) {
        this.log = log;
        this.process = process;
        this.port = port;
    }

    /** Fails the test class at once when the packaged application is missing. */
    static void requireArtifact() {
        if (!PackagedArtifact.current().exists()) {
            fail(PackagedArtifact.current().describe() + " is missing: build it with ./mvnw package -DskipTests");
        }
    }

    /**
     * Starts one and waits until it is ready.
     *
     * @param work        holds {@code policies/} (the file store) and the log, {@code <label>.log}
     * @param kubeconfig  the cluster it talks to
     * @param istioNs     the Istio namespace it reads
     * @param extraOptions further {@code -D} options (leader election, the change budget)
     * @param env         further environment (HOSTNAME names a replica in leader election)
     */
    static PackagedMeshwarden start(String label, Path work, Path kubeconfig, String istioNs, List<String> extraOptions,
            Map<String, String> env) {
        try {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> options = new ArrayList<>(List.of("-Xmx256m", "-Dquarkus.http.port=" + port,
                    "-Dmeshwarden.store.type=file", "-Dmeshwarden.store.dir=" + work.resolve("policies"),
                    "-Dmeshwarden.cluster.enabled=true", "-Dmeshwarden.cluster.istio-namespace=" + istioNs,
                    "-Dmeshwarden.audit.enabled=false", "-Dmeshwarden.enforce.enabled=false",
                    "-Dmeshwarden.auth.mode=none"));
            options.addAll(extraOptions);
            Path log = work.resolve(label + ".log");
            ProcessBuilder pb = new ProcessBuilder(PackagedArtifact.current().command(options, List.of()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("KUBECONFIG", kubeconfig.toString());
            pb.environment().putAll(env);
            Files.writeString(log, "== " + label + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            PackagedMeshwarden app = new PackagedMeshwarden(log, pb.start(), port);
            app.awaitReady();
            return app;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A namespace labelled for injection with {@code cronJobs} CronJobs (each one change of the policy
     * {@code fault-jobs}, InjectionExclusion in enforce mode), and a work directory under target/ whose store holds
     * that policy: the setup of the fault classes that run the packaged app. 
     */
    static JobsSetup cronJobNamespace(KubernetesClient client, String prefix, int cronJobs) throws IOException {
        ControlPlane.installIstioCrds(client);
        String ns = ControlPlane.namespace(client, "e2e-" + prefix + "-" + ControlPlane.suffix(),
                Map.of("istio-injection", "enabled"));
        for (int i = 0; i < cronJobs; i++) {
            client.resource(EnforcementE2E.cronJob(ns, String.format("job-%02d", i))).create();
        }
        Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "faults-" + prefix + "-");
        policy(work, "fault-jobs", "InjectionExclusion", ns, "{whenNativeSidecars: enforce}");
        return new JobsSetup(ns, work);
    }

    record JobsSetup(String ns, Path work) {}

    /** Writes one MeshPolicy in enforce mode for {@code ns} into the work directory's file store. */
    static void policy(Path work, String name, String type, String ns, String parameters) {
        try {
            Path store = Files.createDirectories(work.resolve("policies"));
            Files.writeString(store.resolve(name + ".yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                    + "metadata: {name: " + name + ", resourceVersion: \"1\"}\nspec:\n  type: " + type
                    + "\n  mode: enforce\n  target: {namespaces: {include: [" + ns + "]}}\n  parameters: " + parameters
                    + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!process.isAlive()) {
                fail("the app exited (" + process.exitValue() + "); see " + log);
            }
            try {
                if (http.send(HttpRequest.newBuilder(uri("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
            if (System.nanoTime() > deadline) {
                fail("the app was not ready within 90 s; see " + log);
            }
            sleep(200);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** kill -9: no shutdown hook, no lease release. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends a signal by name (STOP, CONT) with kill(1). */
    void signal(String name) {
        try {
            Process p = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("kill -" + name + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** The status and body of a POST without a body. */
    HttpResponse<String> postRaw(String path) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** A POST that must succeed; its body as JSON. */
    JsonNode post(String path) {
        HttpResponse<String> r = postRaw(path);
        if (r.statusCode() / 100 != 2) {
            fail("POST " + path + ": " + r.statusCode() + " " + r.body());
        }
        return json(r.body());
    }

    JsonNode get(String path) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).build());
        if (r.statusCode() / 100 != 2) {
            fail("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return json(r.body());
    }

    /** Polls the run until its outcome is no longer {@code running}. */
    JsonNode awaitRun(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode run = get("/api/v1/runs/" + id);
            if (!"running".equals(run.path("outcome").asText())) {
                return run;
            }
            if (System.nanoTime() > deadline) {
                fail("run " + id + " still running after " + timeout.toSeconds() + " s; see " + log);
            }
            sleep(250);
        }
    }

    /** The names of the objects a run's outcomes record as applied. */
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

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + "; see " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}

package io.meshwarden.bench;

import io.meshwarden.testing.PackagedArtifact;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application (the JVM jar or the native executable) as a child process on a free port with a given
 * store directory and nothing else: no cluster, no GitOps, no scheduled audit or enforcement, so that only REST writes
 * touch the store.
 */
final class PackagedApp {
    private final PackagedArtifact artifact;
    private final Path storeDir;
    private final Path log;
    private final List<String> jvmOptions;
    private final BenchAuth auth;
    private volatile Process process;
    private int port;

    PackagedApp(PackagedArtifact artifact, Path storeDir, Path log, List<String> jvmOptions, BenchAuth auth) {
        this.artifact = artifact;
        this.storeDir = storeDir;
        this.log = log;
        this.jvmOptions = jvmOptions;
        this.auth = auth;
        // A driver stopped with Ctrl-C or kill must not leave the app running on its store directory.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }, "packaged-app-reaper"));
    }

    /** Starts the app and waits for /q/health/ready; returns the milliseconds it took. */
    long start(String label) throws IOException, InterruptedException {
        port = freePort();
        List<String> cmd = new ArrayList<>(jvmOptions);
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-Dmeshwarden.store.type=file");
        cmd.add("-Dmeshwarden.store.dir=" + storeDir.toAbsolutePath());
        cmd.add("-Dmeshwarden.cluster.enabled=false");
        cmd.add("-Dmeshwarden.audit.enabled=false");
        cmd.add("-Dmeshwarden.enforce.enabled=false");
        cmd.add("-Dmeshwarden.leader-election.enabled=false");
        cmd.addAll(auth.jvmProperties());
        cmd = artifact.command(cmd, List.of());
        Files.writeString(log, "== " + label + ": " + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long t0 = System.nanoTime();
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        PolicyClient probe = new PolicyClient(port, auth.token());
        long deadline = t0 + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the app exited with " + process.exitValue() + " before it was "
                        + "ready (" + firstError() + "); see " + log);
            }
            try {
                if (probe.getPath("/q/health/ready").status() == 200) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                }
            } catch (IOException notListeningYet) {
                // keep polling
            }
            Thread.sleep(25);
        }
        killNine();
        throw new IllegalStateException("the app was not ready within 90 s; see " + log);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL through kill(1), as an operator would send it, then waits for the process to be gone. */
    void killNine() throws IOException, InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        int rc = new ProcessBuilder("kill", "-9", String.valueOf(process.pid())).start().waitFor();
        if (rc != 0) {
            process.destroyForcibly();
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pid " + process.pid() + " survived kill -9");
        }
    }

    /** The line of the log that says why start-up failed, e.g. a configuration key this build does not know. */
    private String firstError() throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        int from = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("== ")) {
                from = i;
            }
        }
        return lines.subList(from, lines.size()).stream()
                .filter(l -> l.contains("SRCFG") || l.contains("ERROR") || l.contains("Exception")).findFirst()
                .map(String::strip).orElse("no error in the log");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}

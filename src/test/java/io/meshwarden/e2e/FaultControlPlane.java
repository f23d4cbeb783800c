package io.meshwarden.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A control plane of a fault test's own, beside the shared one the other E2E classes use: a test that kills its
 * API server must not take theirs down. Started by {@code controlplane.sh up} with the audit log on
 * ({@code MESHWARDEN_CP_AUDIT=1}), so the API server itself is the witness of every write a client sent.
 */
final class FaultControlPlane {
    static final Path SCRIPT = Path.of("src", "test", "controlplane", "controlplane.sh");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path state;
    private final Path scriptLog;

    private FaultControlPlane(Path state) {
        this.state = state;
        this.scriptLog = state.resolveSibling(state.getFileName() + "-script.log");
    }

    /** Starts one in {@code target/<name>} (wiping what a previous run left there). */
    static FaultControlPlane up(String name) {
        FaultControlPlane cp = new FaultControlPlane(Path.of("target", name).toAbsolutePath());
        cp.script(180, "up");
        return cp;
    }

    void down() {
        script(60, "down");
    }

    /** kill -9 of one component (its process group): a crash, no shutdown. */
    void kill(String component) {
        script(30, "kill", component);
    }

    /** Starts etcd or kube-apiserver again on its ports and flags; returns once it is ready. */
    void start(String component) {
        script(120, "start", component);
    }

    /**
     * Starts the killed kube-apiserver again, then kwok, the fake kubelet: its watches can stall for a minute after
     * the server comes back (its node then turns NotReady and rollouts stop), where a real kubelet reconnects at once.
     * Without this, a rollout across the restart depends on kwok, not on Meshwarden.
     */
    void restartApiServer() {
        start("kube-apiserver");
        kill("kwok");
        start("kwok");
    }

    Path state() {
        return state;
    }

    /** A client of the admin user that names itself {@code userAgent} to the server (and so in the audit log). */
    KubernetesClient client(String userAgent) {
        return client(userAgent, kubeconfig(apiServerPort()));
    }

    /** The same, talking to the API server through {@code proxy}. */
    KubernetesClient client(String userAgent, FaultProxy proxy) {
        return client(userAgent, kubeconfig(proxy.port()));
    }

    private static KubernetesClient client(String userAgent, String kubeconfig) {
        Config config = Config.fromKubeconfig(kubeconfig);
        config.setUserAgent(userAgent);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    int apiServerPort() {
        try {
            return Files.readAllLines(state.resolve("ports")).stream().filter(l -> l.startsWith("kube-apiserver="))
                    .map(l -> Integer.parseInt(l.substring(l.indexOf('=') + 1))).findFirst()
                    .orElseThrow(() -> new AssertionError("no kube-apiserver port in " + state.resolve("ports")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The admin kubeconfig with its server at 127.0.0.1:{@code port} (a {@link FaultProxy}'s); the certificate
     * still verifies, being issued for the address, not a port.
     */
    String kubeconfig(int port) {
        try {
            String text = Files.readString(state.resolve("kubeconfig"));
            return text.replace("server: https://127.0.0.1:" + apiServerPort() + "\n",
                    "server: https://127.0.0.1:" + port + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A kubeconfig that authenticates with a bearer token (a service account's, so that the audit log names it) and
     * reaches the server at 127.0.0.1:{@code port}.
     */
    String kubeconfig(int port, String token) {
        try {
            String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(state.resolve("pki").resolve("ca.crt")));
            return "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: https://127.0.0.1:"
                    + port + "\n    certificate-authority-data: " + ca + "\nusers:\n- name: e2e\n  user:\n    token: "
                    + token + "\ncontexts:\n- name: e2e\n  context: {cluster: e2e, user: e2e}\ncurrent-context: e2e\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One answered write request, as the API server's audit log recorded it.
     *
     * @param user     the authenticated user name (a client certificate's CN, a service account)
     * @param received when the server received the request; {@code at} when it answered
     */
    record Write(String verb, String userAgent, String user, String resource, String namespace, String name,
            String subresource, int code, String received, String at) {
        boolean succeeded() {
            return code >= 200 && code < 300;
        }
    }

    /** Every write in the audit log so far; a line cut short by a kill is left out. */
    List<Write> writes() {
        Path log = state.resolve("logs").resolve("audit.log");
        List<Write> writes = new ArrayList<>();
        if (!Files.exists(log)) {
            return writes;
        }
        try {
            for (String line : Files.readAllLines(log)) {
                if (line.isBlank() || !line.endsWith("}")) {
                    continue;
                }
                JsonNode e = JSON.readTree(line);
                JsonNode ref = e.path("objectRef");
                writes.add(new Write(e.path("verb").asText(), e.path("userAgent").asText(),
                        e.path("user").path("username").asText(), ref.path("resource").asText(),
                        ref.path("namespace").asText(null), ref.path("name").asText(null),
                        ref.path("subresource").asText(null), e.path("responseStatus").path("code").asInt(0),
                        e.path("requestReceivedTimestamp").asText(), e.path("stageTimestamp").asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return writes;
    }

    private void script(int timeoutSeconds, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(scriptLog.toFile()));
        pb.environment().put("MESHWARDEN_CP_STATE", state.toString());
        pb.environment().put("MESHWARDEN_CP_AUDIT", "1");
        try {
            Files.createDirectories(state.getParent());
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("controlplane.sh " + String.join(" ", args) + " took over " + timeoutSeconds
                        + "s; see " + scriptLog);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("controlplane.sh " + String.join(" ", args) + " failed (exit "
                        + p.exitValue() + "); see " + scriptLog + ":\n" + tail());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running controlplane.sh " + String.join(" ", args));
        }
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(scriptLog);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}

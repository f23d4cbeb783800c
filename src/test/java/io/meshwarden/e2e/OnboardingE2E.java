package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.enforce.OnboardingProgress;
import io.meshwarden.enforce.RolloutRunner;
import io.meshwarden.testing.PackagedArtifact;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, onboarding a namespace on the real control plane. Four Deployments run without sidecars; then the
 * namespace is labelled for injection, and a mutating webhook on 127.0.0.1 (its own CA) injects every new pod with
 * Istio's own injector: each AdmissionReview's pod goes through the injection oracle (Istio's real webhook code, with
 * the injector config and values the real istiod chart renders), and the answer is a JSON patch of the difference.
 * The packaged Meshwarden (target/quarkus-app) runs the onboarding; it is killed with {@code kill -9} after the
 * first workload and started again, and resumes from the namespace annotation by itself. The test raises the HPA's
 * desired replicas (no HPA controller runs here) during the last restart: the onboarding halts, and a human's
 * explicit resume finishes it. Then the label is removed and the same run takes the sidecars out again.
 */
class OnboardingE2E {
    static final String POLICY = "onboard";
    static final String CPU = "30m";
    static final String MEMORY = "64Mi";

    static KubernetesClient client;
    static String ns;
    static String suffix;
    static String version;
    static JsonNode rendered;
    static Path oracle;
    static HttpsServer server;
    static String webhookConfig;
    static final AtomicInteger injected = new AtomicInteger();
    static final List<String> webhookErrors = new CopyOnWriteArrayList<>();

    Path work;
    Process app;
    int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void setUp() throws Exception {
        if (!PackagedArtifact.current().exists()) {
            fail(PackagedArtifact.current().describe() + " is missing: build it with ./mvnw package -DskipTests");
        }
        client = ControlPlane.client();
        suffix = ControlPlane.suffix();
        version = IstioTools.versions().get(0);
        rendered = IstioTools.render(version, "", "istio-system");
        oracle = Path.of(new String(new ProcessBuilder("bash", IstioTools.SCRIPT.toString(), "oracle", version)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).trim());
        ns = ControlPlane.namespace(client, "e2e-onboard-" + suffix, Map.of());
        startWebhook();
    }

    @AfterAll
    static void tearDown() {
        if (client != null) {
            if (webhookConfig != null) {
                client.genericKubernetesResources("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration")
                        .withName(webhookConfig).delete();
            }
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    // ------------------------------------------------------------------------------------------------ the webhook

    static void startWebhook() throws Exception {
        LoopbackWebhook webhook = LoopbackWebhook.create("onboard-webhook");
        server = webhook.server();
        server.createContext("/inject", exchange -> {
            ObjectNode answer = IstioTools.JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1")
                    .put("kind", "AdmissionReview");
            try {
                JsonNode review = IstioTools.JSON.readTree(exchange.getRequestBody());
                ObjectNode response = answer.putObject("response").put("uid", review.at("/request/uid").asText())
                        .put("allowed", true);
                String patch = inject(review.at("/request/namespace").asText(), review.at("/request/object"));
                if (patch != null) {
                    response.put("patchType", "JSONPatch").put("patch",
                            Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)));
                }
            } catch (RuntimeException e) {
                webhookErrors.add(e.toString());
                ((ObjectNode) answer.path("response")).put("allowed", false).putObject("status")
                        .put("message", "e2e injector: " + e.getMessage());
            }
            byte[] body = answer.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        String caBundle = webhook.caBundle();
        webhookConfig = "e2e-onboard-injector-" + suffix;
        ControlPlane.apply(client, """
                apiVersion: admissionregistration.k8s.io/v1
                kind: MutatingWebhookConfiguration
                metadata: {name: %s}
                webhooks:
                - name: sidecar-injector.e2e.meshwarden.io
                  clientConfig: {url: "https://127.0.0.1:%d/inject", caBundle: %s}
                  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
                  namespaceSelector: {matchLabels: {istio-injection: enabled, e2e.meshwarden.io/onboard: "%s"}}
                  sideEffects: None
                  admissionReviewVersions: [v1]
                  failurePolicy: Fail
                  timeoutSeconds: 30
                """.formatted(webhookConfig, server.getAddress().getPort(), caBundle, suffix));
    }

    /**
     * Istio's injector on one pod: the oracle's answer, as a JSON patch of spec, labels and annotations; null when
     * the injector leaves the pod alone. Classic sidecars (ENABLE_NATIVE_SIDECARS=false): kwok's fake kubelet does
     * not run init containers as sidecars.
     */
    static String inject(String namespace, JsonNode pod) {
        ObjectNode c = IstioTools.JSON.createObjectNode().put("id", "1").put("namespace", namespace)
                .put("injectorConfig", rendered.path("injectorConfig").asText())
                .put("injectorValues", rendered.path("injectorValues").asText())
                .put("meshConfig", rendered.path("meshConfig").asText()).put("returnPod", true);
        c.set("pod", pod);
        c.putObject("namespaceLabels").put("istio-injection", "enabled");
        ObjectNode env = c.putObject("env");
        rendered.path("istiodEnv").fields().forEachRemaining(e -> env.set(e.getKey(), e.getValue()));
        env.put("ENABLE_NATIVE_SIDECARS", "false");
        c.putArray("nodes").addObject().put("name", ControlPlane.NODE).put("kubeletVersion", "v1.36.3");
        JsonNode result;
        try {
            Process p = new ProcessBuilder(oracle.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write((c.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                line = r.readLine();
            }
            p.waitFor(30, TimeUnit.SECONDS);
            result = IstioTools.JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (!result.path("error").asText("").isEmpty()) {
            throw new IllegalStateException(result.path("error").asText());
        }
        if (!result.path("injected").asBoolean() || !result.has("pod")) {
            return null;
        }
        JsonNode out = result.path("pod");
        ArrayNode ops = IstioTools.JSON.createArrayNode();
        ops.addObject().put("op", "add").put("path", "/spec").set("value", out.path("spec"));
        ops.addObject().put("op", "add").put("path", "/metadata/labels").set("value", out.at("/metadata/labels"));
        ops.addObject().put("op", "add").put("path", "/metadata/annotations")
                .set("value", out.at("/metadata/annotations"));
        injected.incrementAndGet();
        return ops.toString();
    }

    // ------------------------------------------------------------------------------------------------ the test

    @Test
    void onboardsOneWorkloadAtATimeSizedHaltsOnAnHpaSurgeResumesAfterARestartAndReverses() throws Exception {
        Deployment scaled = E2EObjects.deployment(ns, "scaled", 1, Map.of());
        // A new pod of "scaled" counts as available only 20 s after it is ready: its restart lasts long enough for
        // the test to raise the HPA's desired replicas while Meshwarden watches it.
        scaled.getSpec().setMinReadySeconds(20);
        client.resource(scaled).create();
        client.resource(E2EObjects.deployment(ns, "small", 1, Map.of())).create();
        client.resource(E2EObjects.deployment(ns, "tiny", 1, Map.of())).create();
        client.resource(E2EObjects.deployment(ns, "mid", 2, Map.of())).create();
        ControlPlane.apply(client, """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata: {name: scaled, namespace: %s}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}
                  minReplicas: 1
                  maxReplicas: 5
                  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
                """.formatted(ns));
        hpaDesired(1);
        for (String d : List.of("scaled", "small", "tiny", "mid")) {
            awaitRolledOut(d);
        }
        // Labelled afterwards: the running pods have no sidecar, the new ones will.
        client.namespaces().withName(ns).edit(n -> {
            n.getMetadata().getLabels().put("istio-injection", "enabled");
            n.getMetadata().getLabels().put("e2e.meshwarden.io/onboard", suffix);
            return n;
        });
        work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "onboard-app-");
        Path store = Files.createDirectories(work.resolve("policies"));
        Files.writeString(store.resolve("onboard.yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                + "metadata: {name: " + POLICY + ", resourceVersion: \"1\"}\nspec:\n  type: SidecarCoverage\n"
                + "  target: {namespaces: {include: [" + ns + "]}}\n"
                + "  parameters: {batchSize: 1, pauseSeconds: 1, halt: {hpaSurgePercent: 50, deadlineSeconds: 120}}\n");
        Files.writeString(store.resolve("sizing.yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                + "metadata: {name: sizing, resourceVersion: \"1\"}\nspec:\n  type: ProxySizing\n"
                + "  target: {namespaces: {include: [" + ns + "]}}\n"
                + "  parameters: {requests: {cpu: " + CPU + ", memory: " + MEMORY + "}}\n");

        Sampler sampler = new Sampler();
        Thread sampling = new Thread(sampler, "onboard-sampler");
        sampling.setDaemon(true);
        sampling.start();
        try {
            startApp("first");
            // The dry run: the order (no HPA first, smallest first, ties by name) and the sizing in each patch.
            JsonNode dry = post("/api/v1/onboarding/" + POLICY + "/dry-run", 200);
            List<String> order = new ArrayList<>();
            dry.path("steps").forEach(s -> order.add(s.at("/change/target/name").asText()));
            assertEquals(List.of("small", "tiny", "mid", "scaled"), order, dry::toString);
            assertEquals(CPU, dry.at("/steps/0/change/body/spec/template/metadata/annotations")
                    .path("sidecar.istio.io/proxyCPU").asText(), dry::toString);

            JsonNode started = post("/api/v1/onboarding/" + POLICY, 202);
            String firstRun = started.path("run").asText();
            String restartedAt = started.at("/progress/restartedAt").asText();
            ControlPlane.await("the first workload onboarded", Duration.ofSeconds(90),
                    () -> progress() != null && progress().done().size() >= 1, () -> String.valueOf(progress()));
            app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            OnboardingProgress atKill = progress();
            assertEquals(OnboardingProgress.RUNNING, atKill.state(), atKill::toString);

            // A new process finds the running onboarding in the annotation and carries it on by itself.
            startApp("second");
            ControlPlane.await("the onboarding resumed by the new process", Duration.ofSeconds(60),
                    () -> progress().previousRuns().contains(firstRun), () -> String.valueOf(progress()));
            OnboardingProgress resumed = progress();
            assertEquals(restartedAt, resumed.restartedAt(), "the resume sends the same restart time");
            assertEquals("system:meshwarden:scheduler", resumed.startedBy());

            // The last workload is the one an HPA scales: raise its desired replicas while it restarts.
            ControlPlane.await("scaled restarting", Duration.ofSeconds(120), () -> restartedAt.equals(template(
                    "scaled").get("kubectl.kubernetes.io/restartedAt")), () -> String.valueOf(progress()));
            hpaDesired(3);
            ControlPlane.await("the HPA surge halt", Duration.ofSeconds(60),
                    () -> OnboardingProgress.HALTED.equals(progress().state()), () -> String.valueOf(progress()));
            OnboardingProgress halted = progress();
            assertEquals("HPA_SURGE", halted.halt().reason(), halted::toString);
            assertEquals("Deployment " + ns + "/scaled", halted.halt().workload());
            assertEquals("3 of 4 workloads", halted.progress());
            // No metrics server runs here: the proxies' CPU was not checked, and the progress says so.
            assertTrue(halted.notes().stream().anyMatch(n -> n.contains("metrics.k8s.io") && n.contains("not "
                    + "compared")), halted.notes()::toString);
            JsonNode get = get("/api/v1/onboarding/" + POLICY);
            assertEquals("halted", get.path("state").asText());
            assertEquals("3 of 4 workloads", get.path("progress").asText());
            List<Event> haltEvents = client.v1().events().inNamespace(ns).list().getItems().stream()
                    .filter(e -> RolloutRunner.HALT_EVENT_REASON.equals(e.getReason())).toList();
            assertEquals(1, haltEvents.size());
            assertTrue(haltEvents.get(0).getMessage().contains("HPA_SURGE"), haltEvents.get(0).getMessage());
            // Halted means halted: nothing resumes it by itself.
            Thread.sleep(5_000);
            assertEquals(OnboardingProgress.HALTED, progress().state());

            // A human looked: the HPA is back, the resume is explicit.
            hpaDesired(1);
            JsonNode resume = post("/api/v1/onboarding/" + POLICY + "/resume", -1);
            ControlPlane.await("the onboarding done", Duration.ofSeconds(120),
                    () -> OnboardingProgress.DONE.equals(progress().state()), () -> String.valueOf(progress()));
            OnboardingProgress done = progress();
            assertEquals("4 of 4 workloads", done.progress(), done::toString);
            assertTrue(resume.path("progress").path("previousRuns").size() >= 2, resume::toString);
            checkOnboarded();

            // The reverse: the label removed, the same run takes the sidecars out again, one workload at a time,
            // and says which workloads lose mTLS.
            client.namespaces().withName(ns).edit(n -> {
                n.getMetadata().getLabels().remove("istio-injection");
                return n;
            });
            JsonNode out = post("/api/v1/onboarding/" + POLICY, 202);
            List<String> losing = new ArrayList<>();
            out.at("/plan/losesSidecar").forEach(w -> losing.add(w.asText()));
            assertEquals(List.of("small", "tiny", "mid", "scaled").stream().map(d -> "Deployment " + ns + "/" + d)
                    .toList(), losing, out::toString);
            ControlPlane.await("the reverse done", Duration.ofSeconds(120),
                    () -> OnboardingProgress.DONE.equals(progress().state())
                            && out.path("run").asText().equals(progress().run()), () -> String.valueOf(progress()));
            OnboardingProgress reversed = progress();
            assertEquals("4 of 4 workloads", reversed.progress());
            assertTrue(reversed.notes().stream().anyMatch(n -> n.contains("mTLS") && n.contains(ns + "/scaled")),
                    reversed.notes()::toString);
        } finally {
            sampler.stop.set(true);
            sampling.join(5_000);
            stopApp();
        }

        // One workload restarting at a time, onboarding and reverse alike, in the dry run's order.
        assertTrue(sampler.maxRolling <= 1, () -> "at most one Deployment rolling out at once; seen "
                + sampler.maxRolling + ": " + sampler.overlaps);
        assertEquals(List.of("small", "tiny", "mid", "scaled"), sampler.started, "restarts in plan order");
        for (String d : List.of("small", "tiny", "mid", "scaled")) {
            // Onboarded once (the kill and the resume notwithstanding) and reversed once: three ReplicaSets.
            List<ReplicaSet> sets = client.apps().replicaSets().inNamespace(ns).withLabel("app", d).list().getItems();
            assertEquals(3, sets.size(), d + ": " + sets.stream().map(r -> r.getMetadata().getName()).toList());
        }
        for (Pod p : running()) {
            assertTrue(p.getSpec().getContainers().stream().noneMatch(c -> "istio-proxy".equals(c.getName())),
                    p.getMetadata().getName() + " still runs istio-proxy after the reverse");
        }
        assertEquals(List.of(), webhookErrors);
        System.out.printf("ONBOARDING injected %d pods through Istio's injector (%s); max rolling at once %d; "
                + "samples %d%n", injected.get(), version, sampler.maxRolling, sampler.samples);
    }

    /** Every running pod has Istio's sidecar with ProxySizing's requests, from the one template change. */
    void checkOnboarded() {
        for (String d : List.of("small", "tiny", "mid", "scaled")) {
            // Restarted once, the kill and the resume notwithstanding: the old ReplicaSet and one new.
            List<ReplicaSet> sets = client.apps().replicaSets().inNamespace(ns).withLabel("app", d).list().getItems();
            assertEquals(2, sets.size(), d + ": " + sets.stream().map(r -> r.getMetadata().getName()).toList());
        }
        List<Pod> pods = running();
        assertEquals(5, pods.size(), pods.stream().map(p -> p.getMetadata().getName()).toList()::toString);
        for (Pod p : pods) {
            Container proxy = p.getSpec().getContainers().stream().filter(c -> "istio-proxy".equals(c.getName()))
                    .findFirst().orElse(null);
            assertNotNull(proxy, p.getMetadata().getName() + " has no istio-proxy");
            assertEquals(CPU, proxy.getResources().getRequests().get("cpu").toString(), p.getMetadata().getName());
            assertEquals(MEMORY, proxy.getResources().getRequests().get("memory").toString());
            assertTrue(p.getMetadata().getAnnotations().containsKey("sidecar.istio.io/status"));
        }
    }

    static List<Pod> running() {
        return client.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Samples the Deployments: how many roll out at once, and in which order restarts began. */
    final class Sampler implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        volatile int maxRolling;
        volatile int samples;
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<String> overlaps = new CopyOnWriteArrayList<>();

        @Override
        public void run() {
            while (!stop.get()) {
                try {
                    List<String> rolling = new ArrayList<>();
                    for (Deployment d : client.apps().deployments().inNamespace(ns).list().getItems()) {
                        String name = d.getMetadata().getName();
                        Map<String, String> ann = d.getSpec().getTemplate().getMetadata().getAnnotations();
                        if (ann != null && ann.containsKey("kubectl.kubernetes.io/restartedAt")
                                && !started.contains(name)) {
                            started.add(name);
                        }
                        if (rolling(d)) {
                            rolling.add(name);
                        }
                    }
                    samples++;
                    if (rolling.size() > 1) {
                        overlaps.add(rolling.toString());
                    }
                    maxRolling = Math.max(maxRolling, rolling.size());
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // A failed read is no sample.
                }
            }
        }
    }

    static boolean rolling(Deployment d) {
        DeploymentStatus s = d.getStatus();
        int want = d.getSpec().getReplicas();
        return s == null || s.getObservedGeneration() == null
                || s.getObservedGeneration() < d.getMetadata().getGeneration()
                || nz(s.getUpdatedReplicas()) != want || nz(s.getReplicas()) != want
                || nz(s.getAvailableReplicas()) != want;
    }

    static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    void awaitRolledOut(String name) {
        ControlPlane.await(name + " rolled out", Duration.ofSeconds(90),
                () -> !rolling(client.apps().deployments().inNamespace(ns).withName(name).get()), () -> "");
    }

    static void hpaDesired(int desired) {
        client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName("scaled").editStatus(h -> {
            h.setStatus(new io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus());
            h.getStatus().setDesiredReplicas(desired);
            h.getStatus().setCurrentReplicas(1);
            return h;
        });
    }

    static Map<String, String> template(String name) {
        Map<String, String> a = client.apps().deployments().inNamespace(ns).withName(name).get().getSpec()
                .getTemplate().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    static OnboardingProgress progress() {
        Map<String, String> a = client.namespaces().withName(ns).get().getMetadata().getAnnotations();
        return a == null ? null : OnboardingProgress.fromJson(a.get(OnboardingProgress.ANNOTATION));
    }

    void startApp(String label) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> options = List.of("-Xmx256m", "-Dquarkus.http.port=" + port,
                "-Dmeshwarden.store.type=file", "-Dmeshwarden.store.dir=" + work.resolve("policies"),
                "-Dmeshwarden.cluster.enabled=true", "-Dmeshwarden.cluster.istio-namespace=" + ns + "-istio",
                "-Dmeshwarden.audit.enabled=false", "-Dmeshwarden.enforce.enabled=false",
                "-Dmeshwarden.leader-election.enabled=false", "-Dmeshwarden.auth.mode=none",
                "-Dmeshwarden.rollout.poll-interval=PT0.5S", "-Dmeshwarden.rollout.writes-per-second=0",
                "-Dmeshwarden.onboarding.resume-delay=1s", "-Dmeshwarden.onboarding.resume-interval=2s");
        ProcessBuilder pb = new ProcessBuilder(PackagedArtifact.current().command(options, List.of()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("app.log").toFile()));
        pb.environment().put("KUBECONFIG", ControlPlane.kubeconfig().toString());
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

    /** @param status the expected status; -1 for any 2xx */
    JsonNode post(String path, int status) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers
                .noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(status < 0 ? r.statusCode() / 100 == 2 : r.statusCode() == status,
                () -> "POST " + path + ": " + r.statusCode() + " " + r.body());
        return IstioTools.JSON.readTree(r.body());
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), () -> "GET " + path + ": " + r.body());
        return IstioTools.JSON.readTree(r.body());
    }
}

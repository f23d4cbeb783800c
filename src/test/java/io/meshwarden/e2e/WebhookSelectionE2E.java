package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who gets injected, judged by a real API server: the MutatingWebhookConfigurations that real Helm renders from the
 * real istiod chart (default revision with a revision tag, and a canary revision) are installed as rendered, with only
 * their clientConfig pointed at a recording webhook on 127.0.0.1 (its own CA; it allows every pod). Pods are created
 * over the label combinations, and the pods the API server sends must be exactly those Meshwarden says are injected
 * (less Istio's ignored namespaces, where the injector declines what the webhook is sent).
 */
class WebhookSelectionE2E {
    static final String TAG = "prod";
    static KubernetesClient client;
    static HttpsServer server;
    static final Set<String> sent = ConcurrentHashMap.newKeySet();
    static final List<String> configs = new ArrayList<>();
    static final List<String> namespaces = new ArrayList<>();
    static String suffix;

    @BeforeAll
    static void installWebhooks() throws Exception {
        client = ControlPlane.client();
        suffix = ControlPlane.suffix();
        LoopbackWebhook webhook = LoopbackWebhook.create("webhook");
        server = recording(webhook.server());
        url = webhook.url("/inject");
        caBundle = webhook.caBundle();
    }

    static String url;
    static String caBundle;

    static Stream<String> versions() {
        return IstioTools.versions().stream();
    }

    /** The chart's webhooks at this version, as rendered, pointed at the recording webhook. */
    static List<String> install(String version) throws Exception {
        List<String> installed = new ArrayList<>();
        List<JsonNode> rendered = List.of(
                IstioTools.render(version, "revisionTags: [" + TAG + "]\n", "istio-system"),
                IstioTools.render(version, "revision: canary\n", "istio-system"));
        YAMLMapper yaml = new YAMLMapper();
        for (JsonNode r : rendered) {
            for (JsonNode doc : yaml.readValues(yaml.createParser(r.path("webhooks").asText()), JsonNode.class)
                    .readAll()) {
                if (doc == null || !"MutatingWebhookConfiguration".equals(doc.path("kind").asText())) {
                    continue;
                }
                ObjectNode config = (ObjectNode) doc;
                String name = config.at("/metadata/name").asText() + "-" + suffix;
                ((ObjectNode) config.get("metadata")).put("name", name);
                for (JsonNode webhook : config.path("webhooks")) {
                    ((ObjectNode) webhook).putObject("clientConfig").put("url", url).put("caBundle", caBundle);
                }
                client.resource(IstioTools.JSON.treeToValue(config, GenericKubernetesResource.class)).create();
                installed.add(name);
                configs.add(name);
            }
        }
        assertTrue(installed.size() >= 2, "the chart rendered its injector webhooks: " + installed);
        return installed;
    }

    static void uninstall(List<String> names) {
        for (String c : names) {
            client.genericKubernetesResources("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration")
                    .withName(c).delete();
            configs.remove(c);
        }
    }

    @AfterAll
    static void removeWebhooks() {
        if (client != null) {
            // Cluster-wide: no other test may meet these webhooks.
            for (String c : configs) {
                client.genericKubernetesResources("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration")
                        .withName(c).delete();
            }
            client.pods().inNamespace("kube-system").withLabel(ControlPlane.TEST_LABEL, suffix).delete();
            ControlPlane.deleteNamespaces(client, namespaces.toArray(String[]::new));
            client.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    /** Allows every pod and records which ones the API server sent. */
    static HttpsServer recording(HttpsServer s) {
        s.createContext("/inject", exchange -> {
            JsonNode review = IstioTools.JSON.readTree(exchange.getRequestBody());
            JsonNode pod = review.at("/request/object");
            sent.add(review.at("/request/namespace").asText() + "/" + pod.at("/metadata/name").asText());
            ObjectNode answer = IstioTools.JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1")
                    .put("kind", "AdmissionReview");
            answer.putObject("response").put("uid", review.at("/request/uid").asText()).put("allowed", true);
            byte[] body = answer.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.start();
        return s;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void theApiServerSendsExactlyThePodsMeshwardenSaysAreInjected(String version) throws Exception {
        List<String> installed = install(version);
        try {
            check(version.substring(version.length() - 6));
        } finally {
            uninstall(installed);
        }
    }

    void check(String tag) {
        Map<String, Map<String, String>> nsLabels = new TreeMap<>();
        nsLabels.put("none", Map.of());
        nsLabels.put("enabled", Map.of("istio-injection", "enabled"));
        nsLabels.put("disabled", Map.of("istio-injection", "disabled"));
        nsLabels.put("rev-default", Map.of("istio.io/rev", "default"));
        nsLabels.put("rev-canary", Map.of("istio.io/rev", "canary"));
        nsLabels.put("rev-tag", Map.of("istio.io/rev", TAG));
        nsLabels.put("both", Map.of("istio-injection", "enabled", "istio.io/rev", "canary"));
        List<Map<String, String>> podLabels = List.of(Map.of(), Map.of(Mesh.INJECT, "true"),
                Map.of(Mesh.INJECT, "false"), Map.of("istio.io/rev", "canary"), Map.of("istio.io/rev", TAG),
                Map.of(Mesh.INJECT, "true", "istio.io/rev", "canary"));

        List<String> docs = new ArrayList<>();
        List<String> pods = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> ns : nsLabels.entrySet()) {
            String name = ControlPlane.namespace(client, "e2e-wh-" + ns.getKey() + "-" + tag + "-" + suffix,
                    ns.getValue());
            namespaces.add(name);
            docs.add(Fixtures.namespace(name, IstioTools.JSON.valueToTree(ns.getValue()).toString()));
            for (int i = 0; i < podLabels.size(); i++) {
                pods.add(create(name, "p" + i, podLabels.get(i), docs));
            }
        }
        // kube-system: the webhook is called for a labelled pod, but Istio's injector declines it.
        docs.add(Fixtures.namespace("kube-system", "{}"));
        pods.add(create("kube-system", "e2e-wh-" + tag + "-" + suffix, Map.of(Mesh.INJECT, "true"), docs));

        ClusterSnapshot snapshot = Fixtures.snapshot(docs.toArray(String[]::new));
        Mesh mesh = new Mesh(snapshot);
        List<String> disagreements = new ArrayList<>();
        int injected = 0;
        for (String key : pods) {
            String[] nn = key.split("/");
            Workload w = snapshot.workloadsIn(nn[0]).stream().filter(x -> x.name().equals(nn[1])).findFirst()
                    .orElseThrow();
            boolean model = mesh.injection(w).injected();
            boolean apiServer = sent.contains(key) && !Mesh.IGNORED_NAMESPACES.contains(nn[0]);
            injected += apiServer ? 1 : 0;
            if (model != apiServer) {
                disagreements.add(key + " " + w.podLabels() + " in " + snapshot.namespace(nn[0]).orElseThrow()
                        .labels() + ": api server sent=" + sent.contains(key) + ", meshwarden injected=" + model
                        + " (" + mesh.injection(w).reason() + ")");
            }
        }
        assertTrue(sent.contains(pods.get(pods.size() - 1)), "the webhook is called for kube-system pods");
        System.out.printf("webhook selection: %d pods, %d sent and injected, %d disagreements%n", pods.size(),
                injected, disagreements.size());
        assertTrue(injected > 5 && injected < pods.size() - 5, "both outcomes are covered");
        assertEquals(List.of(), disagreements);
    }

    /** Creates the pod (the webhook sees it now) and adds the same template as a Deployment to the snapshot. */
    static String create(String ns, String name, Map<String, String> labels, List<String> docs) {
        Map<String, String> all = new TreeMap<>(labels);
        all.put(ControlPlane.TEST_LABEL, suffix);
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(all).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(E2EObjects.IMAGE).endContainer()
                .endSpec().build();
        client.pods().inNamespace(ns).resource(pod).create();
        docs.add(Fixtures.deployment(ns, name, 1, IstioTools.JSON.valueToTree(all).toString(), "{}"));
        return ns + "/" + name;
    }

    static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": " + out);
        }
    }
}

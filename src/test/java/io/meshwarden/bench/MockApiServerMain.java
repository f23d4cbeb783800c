package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A stand-in API server for bench/memory.sh: the fabric8 CRUD mock over plain HTTP on a fixed port, holding the
 * synthetic cluster of {@link SnapshotGenerator}, paging lists like the real API server and counting requests.
 *
 * <pre>
 *   java -cp ... io.meshwarden.bench.MockApiServerMain [port=18443] [workloads=10000]
 *   curl localhost:18444/counts          # {"total":N,"requests":{"GET /apis/apps/v1/deployments":16,...}}
 *   curl -X POST localhost:18444/reset   # zero the counts
 * </pre>
 *
 * The counts endpoint listens on port + 1 so that counting it never pollutes the figures it reports; "ready" is
 * printed on stdout once the cluster is loaded and the counts are zeroed.
 */
public final class MockApiServerMain {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Held so that the level sticks: the mock logs every request, which would slow loading 20k objects. */
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    private MockApiServerMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18443;
        int workloads = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        MOCK_LOG.setLevel(Level.WARNING);

        MockPagingDispatcher dispatcher = new MockPagingDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), port);

        long started = System.nanoTime();
        int loaded;
        try (KubernetesClient client = server.createClient()) {
            // The client discovers the Istio kinds through these before it can create their objects.
            crd(client, "telemetries", "Telemetry", "telemetry.istio.io", "v1");
            crd(client, "envoyfilters", "EnvoyFilter", "networking.istio.io", "v1alpha3");
            List<JsonNode> objects = SnapshotGenerator.objects(workloads, Math.max(1, workloads / 50), 42);
            // One request per object; a few threads keep the load of 20k objects to seconds.
            objects.parallelStream().forEach(o -> client.resource(o.toString()).create());
            loaded = objects.size();
        }
        dispatcher.reset();

        HttpServer counts = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port + 1), 0);
        counts.createContext("/counts", exchange -> reply(exchange, dispatcher.countsJson()));
        counts.createContext("/reset", exchange -> {
            dispatcher.reset();
            reply(exchange, "{}");
        });
        counts.start();

        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            counts.stop(0);
            server.destroy();
            stop.countDown();
        }));
        System.out.printf("ready: %d objects (%d workloads) loaded in %d ms; API http://localhost:%d, counts "
                + "http://localhost:%d/counts%n", loaded, workloads, (System.nanoTime() - started) / 1_000_000, port,
                port + 1);
        System.out.flush();
        stop.await();
    }

    private static void crd(KubernetesClient client, String plural, String kind, String group, String version) {
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope("Namespaced")
                .withNewNames().withKind(kind).withPlural(plural).withListKind(kind + "List")
                .withSingular(kind.toLowerCase()).endNames()
                .addNewVersion().withName(version).withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
    }

    private static void reply(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * The CRUD mock ignores {@code limit} and {@code continue}; this pages its answers with offsets as continue
     * tokens (its order is stable) and leaves apiVersion and kind out of built-in list items, as the API server does.
     * The full list is rendered once and cached until the next write: re-rendering 8k Deployments for each of 16
     * pages would make the mock, not the app, the bottleneck of the measurement.
     */
    static final class MockPagingDispatcher extends Dispatcher {
        private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        private final Map<String, ObjectNode> lists = new ConcurrentHashMap<>();

        void reset() {
            counts.clear();
        }

        String countsJson() {
            Map<String, Long> sorted = new TreeMap<>();
            counts.forEach((k, v) -> sorted.put(k, v.get()));
            ObjectNode out = JSON.createObjectNode();
            out.put("total", sorted.values().stream().mapToLong(Long::longValue).sum());
            ObjectNode by = out.putObject("requests");
            sorted.forEach(by::put);
            return out.toString();
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            int q = path.indexOf('?');
            String bare = q < 0 ? path : path.substring(0, q);
            counts.computeIfAbsent(request.getMethod() + " " + bare, k -> new AtomicLong()).incrementAndGet();
            if (!"GET".equals(request.getMethod())) {
                lists.clear();
                return crud.dispatch(request);
            }
            Map<String, String> query = query(q < 0 ? "" : path.substring(q + 1));
            if (!query.containsKey("limit") || query.containsKey("watch")) {
                return crud.dispatch(request);
            }
            try {
                String token = query.get("continue");
                String key = bare + "?" + query.getOrDefault("labelSelector", "") + "&"
                        + query.getOrDefault("fieldSelector", "");
                ObjectNode full = lists.get(key);
                if (full == null || token == null) {
                    MockResponse response = crud.dispatch(request);
                    if (response.code() != 200) {
                        return response;
                    }
                    JsonNode body = JSON.readTree(response.getBody().getBytes());
                    if (!body.isObject() || !body.path("items").isArray()) {
                        return response;
                    }
                    full = (ObjectNode) body;
                    lists.put(key, full);
                }
                ArrayNode items = (ArrayNode) full.get("items");
                int limit = Integer.parseInt(query.get("limit"));
                int from = token == null ? 0 : Integer.parseInt(token);
                int to = Math.min(items.size(), from + limit);
                boolean builtIn = !bare.contains("istio.io/");
                ArrayNode page = JSON.createArrayNode();
                for (int i = from; i < to; i++) {
                    ObjectNode item = (ObjectNode) items.get(i);
                    if (builtIn) {
                        item = item.deepCopy();
                        item.remove("apiVersion");
                        item.remove("kind");
                    }
                    page.add(item);
                }
                ObjectNode out = JSON.createObjectNode();
                out.put("apiVersion", full.path("apiVersion").asText("v1"));
                out.put("kind", full.path("kind").asText("List"));
                ObjectNode meta = out.putObject("metadata");
                meta.put("resourceVersion", full.path("metadata").path("resourceVersion").asText(""));
                if (to < items.size()) {
                    meta.put("continue", String.valueOf(to));
                    meta.put("remainingItemCount", items.size() - to);
                }
                out.set("items", page);
                return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                        .setBody(JSON.writeValueAsString(out));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static Map<String, String> query(String raw) {
            Map<String, String> out = new HashMap<>();
            if (raw.isEmpty()) {
                return out;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.put(key, value);
            }
            return out;
        }
    }
}

package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.testing.PagingCrudDispatcher;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
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

        PagingCrudDispatcher dispatcher = new PagingCrudDispatcher();
        long started = System.nanoTime();
        Served served = serve(dispatcher, port, workloads);
        KubernetesMockServer server = served.server();
        int loaded = served.objects();

        HttpServer counts = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port + 1), 0);
        counts.createContext("/counts", exchange -> reply(exchange, countsJson(dispatcher.requests())));
        counts.createContext("/reset", exchange -> {
            dispatcher.clearRequests();
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

    /** The running mock and the number of objects it holds. */
    public record Served(KubernetesMockServer server, int objects) {
    }

    /**
     * The fabric8 CRUD mock on 127.0.0.1:port (0: a free one) holding the synthetic cluster of {@link SnapshotGenerator}
     * with {@code workloads} workloads (namespaces and seed as bench/memory.sh's), listing in pages; for the
     * benchmarks and the browser test. Stop it with {@code destroy()}.
     */
    public static Served serve(PagingCrudDispatcher dispatcher, int port, int workloads) {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), port);
        try (KubernetesClient client = server.createClient()) {
            // The client discovers the Istio kinds through these before it can create their objects.
            crd(client, "telemetries", "Telemetry", "telemetry.istio.io", "v1");
            crd(client, "envoyfilters", "EnvoyFilter", "networking.istio.io", "v1alpha3");
            List<JsonNode> objects = SnapshotGenerator.objects(workloads, Math.max(1, workloads / 50), 42);
            // One request per object; a few threads keep the load of 20k objects to seconds.
            objects.parallelStream().forEach(o -> client.resource(o.toString()).create());
            dispatcher.clearRequests();
            return new Served(server, objects.size());
        }
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

    /** Requests by method and path (query left out), as {"total": N, "requests": {...}}. */
    static String countsJson(List<String> requests) {
        Map<String, Long> sorted = new TreeMap<>();
        for (String r : requests) {
            int q = r.indexOf('?');
            sorted.merge(q < 0 ? r : r.substring(0, q), 1L, Long::sum);
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("total", requests.size());
        ObjectNode by = out.putObject("requests");
        sorted.forEach(by::put);
        return out.toString();
    }
}

package io.meshwarden.cluster.live;

import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.drop;
import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.slow;
import static io.meshwarden.testing.FaultInjectingDispatcher.Fault.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.LiveReadException;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.model.Workload;
import io.meshwarden.testing.ConnectionDroppingProxy;
import io.meshwarden.testing.FaultInjectingDispatcher;
import io.meshwarden.testing.PagingCrudDispatcher;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live reader against an API server that fails: transient faults are retried within the bounds and the read
 * succeeds, anything else fails the read at once with the kind and the answer, and an expired continue token the
 * server cannot resume restarts the read once.
 */
class LiveReaderFaultsTest {
    private static final String DEPLOYMENTS = "/apis/apps/v1/deployments";
    private static final String NAMESPACES = "/api/v1/namespaces";
    /** The namespace lists only, not the lists of objects in one namespace. */
    private static final String NAMESPACE_LISTS = NAMESPACES + "?";
    /** Short waits, so that the faults cost little time; a Retry-After is still waited out in full. */
    private static final ApiRetry RETRY = new ApiRetry(5, Duration.ofMillis(10), Duration.ofMillis(50),
            Duration.ofSeconds(5), ApiRetry.Sleeper.SYSTEM);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration TOO_SLOW = TIMEOUT.multipliedBy(3);

    private FaultInjectingDispatcher faults;
    private KubernetesMockServer server;
    private ConnectionDroppingProxy proxy;
    private KubernetesClient client;
    private KubernetesClient impatient;

    @BeforeEach
    void start() throws IOException {
        faults = new FaultInjectingDispatcher(new PagingCrudDispatcher());
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
        server.init();
        proxy = new ConnectionDroppingProxy(server.getHostName(), server.getPort());
        // The clients keep fabric8's own retry (10 retries by default): the reader must bypass it, or the counts
        // below would multiply. The impatient one's short timeout makes a slow answer a timeout; the other has a
        // long one, so that a loaded machine does not add timeouts of its own to the counts.
        client = server.createClient(b -> b.editOrNewConfig().withMasterUrl(proxy.url()).withRequestTimeout(10_000)
                .endConfig());
        impatient = server.createClient(b -> b.editOrNewConfig().withMasterUrl(proxy.url())
                .withRequestTimeout((int) TIMEOUT.toMillis()).endConfig());
        KubernetesClient setup = server.createClient();
        setup.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
                .create();
        for (int i = 1; i <= 5; i++) {
            setup.apps().deployments().inNamespace("shop").resource(new DeploymentBuilder().withNewMetadata()
                    .withName("app-" + i).withNamespace("shop").endMetadata().withNewSpec().withReplicas(2)
                    .withNewSelector().addToMatchLabels("app", "app-" + i).endSelector().withNewTemplate()
                    .withNewMetadata().addToLabels("app", "app-" + i).endMetadata().withNewSpec().addNewContainer()
                    .withName("app").withImage("app").endContainer().endSpec().endTemplate().endSpec().build())
                    .create();
        }
        setup.close();
        faults.clearRecords();
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        impatient.close();
        proxy.close();
        server.destroy();
    }

    private LiveSnapshotReader reader() {
        return new LiveSnapshotReader(client, 2, "istio-system", RETRY);
    }

    private LiveSnapshotReader impatientReader() {
        return new LiveSnapshotReader(impatient, 2, "istio-system", RETRY);
    }

    private static List<String> deployments(LiveSnapshotReader.Result result) {
        return result.snapshot().workloads().stream().map(Workload::name).sorted().toList();
    }

    @Test
    void readSucceedsAfterEveryKindOfTransientFault() {
        // Each fault on the first page, and on a later page: a page is retried on its own.
        faults.on("GET", DEPLOYMENTS, status(500), status(504), drop(false), slow(TOO_SLOW, true));
        faults.onContinue(DEPLOYMENTS, status(503), drop(true), status(502));

        LiveSnapshotReader.Result result = impatientReader().readWithDiagnostics();

        assertEquals(List.of("app-1", "app-2", "app-3", "app-4", "app-5"), deployments(result), faults::report);
        assertEquals(7, faults.injected().size(), faults::report);
        assertEquals(2, proxy.drops());
        // 3 pages of 2, plus one request per fault: the client's own retry sent nothing more.
        assertEquals(3 + 7, faults.received("GET", DEPLOYMENTS), faults::report);
        assertTrue(result.listRequests() >= 3 + 7, () -> "counted " + result.listRequests());
        assertTrue(result.warnings().isEmpty(), result.warnings()::toString);
    }

    @Test
    void retryAfterOf429And503IsWaitedOut() {
        faults.on("GET", NAMESPACES, status(429, 1));
        faults.on("GET", DEPLOYMENTS, status(503, 1));
        long started = System.nanoTime();

        LiveSnapshotReader.Result result = reader().readWithDiagnostics();

        assertEquals(5, deployments(result).size());
        Duration namespaces = faults.gap("GET", NAMESPACE_LISTS);
        Duration deployments = faults.gap("GET", DEPLOYMENTS);
        assertTrue(namespaces.toMillis() >= 950, "Retry-After: 1 on 429, waited " + namespaces);
        assertTrue(deployments.toMillis() >= 950, "Retry-After: 1 on 503, waited " + deployments);
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 10, "bounded");
    }

    @Test
    void attemptsAreBoundedAndTheErrorSaysSo() {
        faults.always("GET", DEPLOYMENTS, status(503));

        LiveReadException e = assertThrows(LiveReadException.class, () -> reader().read());

        assertEquals(RETRY.maxAttempts(), faults.received("GET", DEPLOYMENTS), faults::report);
        assertEquals(503, e.code());
        assertEquals("deployments.apps", e.resource());
        assertTrue(e.getMessage().contains("Deployment (deployments.apps/v1)")
                && e.getMessage().contains("HTTP 503") && e.getMessage().contains("gave up after 5 attempts"),
                e.getMessage());
    }

    @Test
    void timeoutsAndDroppedConnectionsToo() {
        faults.always("GET", DEPLOYMENTS, drop(false), slow(TOO_SLOW, false));

        LiveReadException e = assertThrows(LiveReadException.class, () -> impatientReader().read());

        assertEquals(RETRY.maxAttempts(), faults.received("GET", DEPLOYMENTS), faults::report);
        assertTrue(e.getMessage().contains("gave up after 5 attempts") && e.getMessage().contains("timeout"),
                e.getMessage());
    }

    @Test
    void refusalsFailAtOnceWithTheKindAndTheReason() {
        for (int code : new int[] {403, 422, 400}) {
            faults.clearScripts();
            faults.clearRecords();
            faults.always("GET", DEPLOYMENTS, status(code));

            LiveReadException e = assertThrows(LiveReadException.class, () -> reader().read());

            assertEquals(1, faults.received("GET", DEPLOYMENTS), () -> code + "\n" + faults.report());
            assertEquals(code, e.code());
            assertTrue(e.getMessage().startsWith("cannot list Deployment (deployments.apps/v1): HTTP " + code
                    + ": injected fault"), e.getMessage());
        }
    }

    @Test
    void discoveryIsRetriedToo() {
        faults.on("GET", "/apis/networking.istio.io/v1alpha3", status(503), drop(false));

        LiveSnapshotReader.Result result = reader().readWithDiagnostics();

        assertEquals(3, faults.received("GET", "/apis/networking.istio.io/v1alpha3"), faults::report);
        assertTrue(result.skippedApis().contains("envoyfilters.networking.istio.io"), "answered, not installed");
    }

    @Test
    void expiredContinueTokenWithoutAResumeRestartsTheReadOnce() {
        faults.onContinue(DEPLOYMENTS, status(410));

        LiveSnapshotReader.Result result = reader().readWithDiagnostics();

        assertEquals(List.of("app-1", "app-2", "app-3", "app-4", "app-5"), deployments(result), "no duplicates");
        assertEquals(2, faults.received("GET", NAMESPACE_LISTS), faults::report);
        assertEquals(1, result.warnings().size(), result.warnings()::toString);
        assertTrue(result.warnings().get(0).contains("continue token expired after 2 items")
                && result.warnings().get(0).contains("started again"), result.warnings().get(0));
    }

    @Test
    void aSecondExpiryFailsTheRead() {
        faults.onContinue(DEPLOYMENTS, status(410), status(410));

        LiveReadException e = assertThrows(LiveReadException.class, () -> reader().read());

        assertEquals(410, e.code());
        assertEquals(2, faults.received("GET", NAMESPACE_LISTS), "restarted once, not more");
        assertTrue(e.getMessage().contains("(page 2): HTTP 410"), e.getMessage());
    }
}

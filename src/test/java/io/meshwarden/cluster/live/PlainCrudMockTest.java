package io.meshwarden.cluster.live;

import io.meshwarden.testing.PagingCrudDispatcher;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.cluster.LiveSnapshotReader;
import java.util.HashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins down what the unwrapped fabric8 CRUD mock does, since {@link PagingCrudDispatcher} exists to make up for it:
 * if a fabric8 upgrade starts honouring these parameters, this test says so.
 */
class PlainCrudMockTest {
    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    @Test
    void crudMockIgnoresLimitContinueAndFieldSelectorsButHonoursLabelSelectors() {
        for (int i = 0; i < 25; i++) {
            client.configMaps().inNamespace("istio-system").resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("istio-rev" + i).endMetadata().addToData("mesh", "defaultConfig: {}").build()).create();
        }
        client.secrets().inNamespace("a").resource(new SecretBuilder().withNewMetadata().withName("opaque")
                .addToLabels("owner", "helm").endMetadata().withType("Opaque").build()).create();
        client.secrets().inNamespace("a").resource(new SecretBuilder().withNewMetadata().withName("unlabelled")
                .endMetadata().withType("helm.sh/release.v1").build()).create();

        ConfigMapList first = client.configMaps().inNamespace("istio-system")
                .list(new ListOptionsBuilder().withLimit(10L).build());
        assertEquals(25, first.getItems().size(), "limit ignored");
        assertNull(first.getMetadata().getContinue(), "no continue token");

        SecretList secrets = client.secrets().inAnyNamespace().list(new ListOptionsBuilder()
                .withLabelSelector("owner=helm").withFieldSelector("type=helm.sh/release.v1").build());
        assertEquals(1, secrets.getItems().size(), "label selector applied");
        assertEquals("Opaque", secrets.getItems().get(0).getType(), "field selector ignored");

        LiveSnapshotReader.Result result = new LiveSnapshotReader(client, 10, "istio-system").readWithDiagnostics();
        assertEquals(25, result.snapshot().meshConfigs().size());
        assertEquals(0, result.snapshot().helmReleases().size());
        assertEquals(15, result.listRequests(), "one request per core kind: the mock answers everything at once");
        assertEquals(10, result.skippedApis().size());
    }
}

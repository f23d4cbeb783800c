package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.model.ResourceRef;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Holds are read for every object a plan would write, including objects of kinds the cluster may not serve: the
 * ControlPlaneMonitoring remedies create prometheus-operator objects, and a cluster without its CRDs made every dry
 * run fail ("Could not find the metadata for the given apiVersion and kind") before this was handled.
 */
class HoldStoreTest {
    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    @Test
    void aKindTheClusterDoesNotServeHoldsNothingAndOtherHoldsAreStillRead() {
        client.configMaps().inNamespace("istio-system").resource(new ConfigMapBuilder().withNewMetadata()
                .withName("istio").withNamespace("istio-system")
                .withAnnotations(Map.of(Hold.ANNOTATION, "trace-sampling", Hold.RUN_ANNOTATION, "run-1"))
                .endMetadata().build()).create();
        ResourceRef rule = new ResourceRef("monitoring.coreos.com/v1", "PrometheusRule", "istio-system",
                "meshwarden-istio-push-errors");
        ResourceRef config = new ResourceRef("v1", "ConfigMap", "istio-system", "istio");

        Map<String, Hold> holds = new HoldStore(client).read(List.of(rule, config));

        assertEquals(List.of(Hold.key(config)), List.copyOf(holds.keySet()));
        assertTrue(holds.get(Hold.key(config)).holds("trace-sampling", 3), holds.toString());
    }
}

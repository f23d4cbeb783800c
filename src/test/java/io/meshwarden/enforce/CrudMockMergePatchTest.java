package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.junit.jupiter.api.Test;

/**
 * Pins down how the fabric8 CRUD mock (7.5.2) treats JSON merge patches, which differs from the API server: it
 * merges with Jackson's readerForUpdating, so a null is stored instead of deleting the field and arrays are
 * appended to instead of replaced. The resourceVersion precondition is honoured. If an upgrade changes this, the
 * enforce tests that rely on it need a look.
 */
class CrudMockMergePatchTest {
    private static final PatchContext MERGE = PatchContext.of(PatchType.JSON_MERGE);

    @Test
    void nullIsStoredAndArraysAreAppendedButStaleResourceVersionsAreRefused() {
        try (MockCluster c = new MockCluster()) {
            c.crd("envoyfilters", "EnvoyFilter", "networking.istio.io", "v1alpha3");
            c.client.configMaps().inNamespace("a").resource(new ConfigMapBuilder().withNewMetadata().withName("m")
                    .endMetadata().addToData("k", "v").addToData("j", "w").build()).create();
            c.apply("""
                    apiVersion: networking.istio.io/v1alpha3
                    kind: EnvoyFilter
                    metadata: {name: f, namespace: a}
                    spec: {configPatches: [{applyTo: A}]}
                    """);

            c.client.configMaps().inNamespace("a").withName("m").patch(MERGE, "{\"data\":{\"k\":null}}");
            ObjectNode cm = c.get("v1", "ConfigMap", "a", "m");
            assertTrue(cm.at("/data/k").isNull(), "the API server would delete data.k; the mock stores null");
            String rv = cm.at("/metadata/resourceVersion").asText();

            c.client.configMaps().inNamespace("a").withName("m").patch(MERGE, "{\"data\":{\"j\":\"w\"}}");
            assertEquals(rv, c.get("v1", "ConfigMap", "a", "m").at("/metadata/resourceVersion").asText(),
                    "a patch that changes nothing keeps the resourceVersion");

            KubernetesClientException e = assertThrows(KubernetesClientException.class,
                    () -> c.client.configMaps().inNamespace("a").withName("m").patch(MERGE,
                            "{\"metadata\":{\"resourceVersion\":\"1\"},\"data\":{\"j\":\"z\"}}"));
            assertEquals(409, e.getCode());

            c.client.genericKubernetesResources("networking.istio.io/v1alpha3", "EnvoyFilter").inNamespace("a")
                    .withName("f").patch(MERGE, "{\"spec\":{\"configPatches\":[{\"applyTo\":\"B\"}]}}");
            assertEquals(MockCluster.json("[{\"applyTo\":\"A\"},{\"applyTo\":\"B\"}]"),
                    c.get("networking.istio.io/v1alpha3", "EnvoyFilter", "a", "f").at("/spec/configPatches"),
                    "the API server would replace the list");
        }
    }
}

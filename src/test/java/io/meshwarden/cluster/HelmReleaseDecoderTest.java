package io.meshwarden.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class HelmReleaseDecoderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HelmReleaseDecoder decoder = new HelmReleaseDecoder();

    static ObjectNode releaseJson(String name, int version, String status, String config) throws IOException {
        ObjectNode release = (ObjectNode) JSON.readTree("""
                {
                  "name": "%s",
                  "namespace": "istio-system",
                  "version": %d,
                  "info": {"status": "%s", "first_deployed": "2026-11-01T10:00:00Z", "notes": "thanks"},
                  "chart": {
                    "metadata": {"name": "istiod", "version": "1.27.3", "appVersion": "1.27.3"},
                    "templates": [{"name": "templates/hpa.yaml", "data": "a2luZDogSFBB"}],
                    "files": [{"name": "files/x", "data": "eA=="}],
                    "values": {
                      "pilot": {"autoscaleEnabled": true, "autoscaleMin": 1, "autoscaleMax": 5, "replicaCount": 1,
                                "env": {"A": "1"}},
                      "global": {"proxy": {"resources": {"requests": {"cpu": "100m"}}}},
                      "meshConfig": {"extensionProviders": [{"name": "otel"}]}
                    }
                  },
                  "manifest": "---\\nkind: Deployment\\n",
                  "hooks": []
                }
                """.formatted(name, version, status));
        release.set("config", JSON.readTree(config));
        return release;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    /** What the API returns in {@code data.release}: base64 of Helm's base64(gzip(json)). */
    static String asSecretData(JsonNode release, boolean gzip) throws IOException {
        return HelmEncoding.secretData(release, gzip);
    }

    static ObjectNode secret(String name, String namespace, String data, String statusLabel) {
        ObjectNode s = JSON.createObjectNode();
        s.put("apiVersion", "v1").put("kind", "Secret").put("type", "helm.sh/release.v1");
        ObjectNode meta = s.putObject("metadata");
        meta.put("name", name).put("namespace", namespace);
        ObjectNode labels = meta.putObject("labels");
        labels.put("owner", "helm").put("name", "istiod");
        if (statusLabel != null) {
            labels.put("status", statusLabel);
        }
        s.putObject("data").put("release", data);
        return s;
    }

    @Test
    void decodesSecretEncodedExactlyAsHelmDoes() throws IOException {
        String data = asSecretData(releaseJson("istiod", 4, "deployed",
                "{\"pilot\": {\"autoscaleMin\": 2, \"replicaCount\": null, \"env\": {\"B\": \"2\"}}}"), true);
        ObjectNode secret = secret("sh.helm.release.v1.istiod.v4", "istio-system", data, "deployed");
        assertTrue(HelmReleaseDecoder.isReleaseSecret(secret));

        HelmRelease r = decoder.decodeSecret(secret);

        assertEquals("istiod", r.name());
        assertEquals("istio-system", r.namespace());
        assertEquals(4, r.revision());
        assertEquals("deployed", r.status());
        assertTrue(r.isDeployed());
        assertEquals("istiod", r.chartName());
        assertEquals("1.27.3", r.chartVersion());
        assertEquals("1.27.3", r.appVersion());
        assertEquals(1, r.defaults().at("/pilot/autoscaleMin").intValue());
        assertEquals(2, r.config().at("/pilot/autoscaleMin").intValue());
        assertTrue(r.config().at("/pilot/replicaCount").isNull(), "config is kept as the user wrote it");
        assertEquals(2, r.value("/pilot/autoscaleMin").intValue());
        assertTrue(r.value("/pilot/replicaCount").isMissingNode(), "null in config deletes the default");
        assertEquals("1", r.value("/pilot/env/A").asText());
        assertEquals("2", r.value("/pilot/env/B").asText());
        assertEquals(5, r.value("/pilot/autoscaleMax").intValue());
        assertEquals("100m", r.value("/global/proxy/resources/requests/cpu").asText());
        assertTrue(r.defaults().at("/pilot/replicaCount").isInt(), "merging must not modify the defaults");
    }

    @Test
    void acceptsPlainJsonWithoutGzipMagic() throws IOException {
        String data = asSecretData(releaseJson("istiod", 1, "deployed", "{}"), false);
        HelmRelease r = decoder.decode("istio-system", "sh.helm.release.v1.istiod.v1", data);
        assertEquals(1, r.revision());
        assertEquals(1, r.value("/pilot/autoscaleMin").intValue());
        assertTrue(r.config().isObject() && r.config().isEmpty());
    }

    @Test
    void acceptsHelmsOwnEncodingWithoutTheApiLayer() throws IOException {
        byte[] json = JSON.writeValueAsBytes(releaseJson("istiod", 7, "deployed", "null"));
        String helmEncoded = Base64.getEncoder().encodeToString(gzip(json));
        HelmRelease r = decoder.decode("istio-system", "s", helmEncoded);
        assertEquals(7, r.revision());
        assertTrue(r.config().isEmpty(), "null config reads as no user values");
        assertEquals(r.defaults(), r.values());
    }

    @Test
    void fallsBackToSecretNamespaceAndToleratesMissingChart() throws IOException {
        String data = asSecretData(JSON.readTree("{\"name\":\"gw\",\"version\":3,\"info\":{\"status\":\"failed\"}}"),
                true);
        HelmRelease r = decoder.decode("ingress", "sh.helm.release.v1.gw.v3", data);
        assertEquals("ingress", r.namespace());
        assertEquals("failed", r.status());
        assertFalse(r.isDeployed());
        assertNull(r.chartName());
        assertTrue(r.values().isEmpty());
    }

    @Test
    void selectsLatestDeployedRevisionPerRelease() throws IOException {
        List<HelmRelease> all = new java.util.ArrayList<>();
        String[][] history = { {"1", "superseded"}, {"2", "superseded"}, {"3", "deployed"}, {"4", "failed"},
            {"5", "pending-upgrade"} };
        for (String[] h : history) {
            int v = Integer.parseInt(h[0]);
            all.add(decoder.decode("istio-system", "sh.helm.release.v1.istiod.v" + v,
                    asSecretData(releaseJson("istiod", v, h[1], "{}"), true)));
        }
        // Another release where an interrupted upgrade left two revisions marked deployed.
        all.add(decoder.decode("istio-system", "g1", asSecretData(releaseJson("gateway", 1, "deployed", "{}"), true)));
        all.add(decoder.decode("istio-system", "g2", asSecretData(releaseJson("gateway", 2, "deployed", "{}"), true)));
        // Only failed: no deployed revision at all.
        all.add(decoder.decode("istio-system", "c1", asSecretData(releaseJson("cni", 1, "failed", "{}"), true)));

        List<HelmRelease> latest = HelmReleaseDecoder.latestDeployed(all);

        assertEquals(2, latest.size());
        HelmRelease istiod = latest.stream().filter(r -> r.name().equals("istiod")).findFirst().orElseThrow();
        assertEquals(3, istiod.revision());
        HelmRelease gateway = latest.stream().filter(r -> r.name().equals("gateway")).findFirst().orElseThrow();
        assertEquals(2, gateway.revision());
    }

    @Test
    void builderKeepsLatestDeployedAmongSecretsEvenWithoutStatusLabels() throws IOException {
        ClusterSnapshotBuilder b = new ClusterSnapshotBuilder();
        String[] statuses = {"superseded", "deployed", "failed"};
        for (int v = 1; v <= 3; v++) {
            b.add(secret("sh.helm.release.v1.istiod.v" + v, "istio-system",
                    asSecretData(releaseJson("istiod", v, statuses[v - 1], "{}"), true), null), "test");
        }
        ClusterSnapshot snapshot = b.build();
        assertEquals(1, snapshot.helmReleases().size());
        assertEquals(2, snapshot.helmRelease("istio-system", "istiod").orElseThrow().revision());
    }

    @Test
    void onlyHelmOwnedReleaseSecretsAreReleases() {
        ObjectNode s = secret("sh.helm.release.v1.x.v1", "ns", "eA==", "deployed");
        assertTrue(HelmReleaseDecoder.isReleaseSecret(s));
        ObjectNode notHelm = s.deepCopy();
        ((ObjectNode) notHelm.get("metadata").get("labels")).put("owner", "someone");
        assertFalse(HelmReleaseDecoder.isReleaseSecret(notHelm));
        ObjectNode opaque = s.deepCopy();
        opaque.put("type", "Opaque");
        assertFalse(HelmReleaseDecoder.isReleaseSecret(opaque));
    }

    @Test
    void badDataNamesTheSecret() throws IOException {
        HelmReleaseException notBase64 = assertThrows(HelmReleaseException.class,
                () -> decoder.decode("istio-system", "sh.helm.release.v1.istiod.v9", "@@not base64@@"));
        assertTrue(notBase64.getMessage().contains("istio-system/sh.helm.release.v1.istiod.v9"),
                notBase64.getMessage());
        assertEquals("istio-system/sh.helm.release.v1.istiod.v9", notBase64.secret());

        String innerNotBase64 = Base64.getEncoder().encodeToString("%%%%".getBytes(StandardCharsets.US_ASCII));
        assertTrue(assertThrows(HelmReleaseException.class, () -> decoder.decode("ns", "s1", innerNotBase64))
                .getMessage().contains("ns/s1"));

        byte[] truncatedGzip = java.util.Arrays.copyOf(gzip("{\"name\":\"x\"}".getBytes()), 12);
        String badGzip = Base64.getEncoder().encodeToString(
                Base64.getEncoder().encodeToString(truncatedGzip).getBytes(StandardCharsets.US_ASCII));
        HelmReleaseException gz = assertThrows(HelmReleaseException.class, () -> decoder.decode("ns", "s2", badGzip));
        assertTrue(gz.getMessage().contains("ns/s2") && gz.getMessage().contains("gzip"), gz.getMessage());

        String badJson = Base64.getEncoder().encodeToString(Base64.getEncoder()
                .encodeToString(gzip("{\"name\": ".getBytes())).getBytes(StandardCharsets.US_ASCII));
        HelmReleaseException json = assertThrows(HelmReleaseException.class, () -> decoder.decode("ns", "s3", badJson));
        assertTrue(json.getMessage().contains("ns/s3") && json.getMessage().contains("JSON"), json.getMessage());

        String noVersion = asSecretData(JSON.readTree("{\"name\":\"x\"}"), true);
        assertTrue(assertThrows(HelmReleaseException.class, () -> decoder.decode("ns", "s4", noVersion))
                .getMessage().contains("ns/s4"));

        ObjectNode missing = secret("s5", "ns", "x", null);
        ((ObjectNode) missing.get("data")).remove("release");
        assertTrue(assertThrows(HelmReleaseException.class, () -> decoder.decodeSecret(missing))
                .getMessage().contains("ns/s5"));
    }

    @Test
    void refusesReleasesThatDecompressBeyondTheLimit() throws IOException {
        String data = asSecretData(releaseJson("istiod", 1, "deployed", "{\"pad\": \"" + "x".repeat(10_000) + "\"}"),
                true);
        HelmReleaseException e = assertThrows(HelmReleaseException.class,
                () -> new HelmReleaseDecoder(4096).decode("ns", "big", data));
        assertTrue(e.getMessage().contains("ns/big") && e.getMessage().contains("4096"), e.getMessage());
    }
}

package io.meshwarden.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.GZIPOutputStream;

/** Encodes a Helm v3 release the way it reaches us, for every test that needs a release Secret. */
public final class HelmEncoding {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HelmEncoding() {
    }

    /**
     * {@code data.release} as the API server returns it: Helm stores base64(gzip(json)) and the Secret's data map
     * base64-encodes that again. With {@code gzip} false, the plain-JSON form older tooling wrote.
     */
    public static String secretData(JsonNode release, boolean gzip) {
        try {
            byte[] json = JSON.writeValueAsBytes(release);
            byte[] payload = json;
            if (gzip) {
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                    gz.write(json);
                }
                payload = bos.toByteArray();
            }
            String helmLayer = Base64.getEncoder().encodeToString(payload);
            return Base64.getEncoder().encodeToString(helmLayer.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String secretData(JsonNode release) {
        return secretData(release, true);
    }

    /** {@code data.release} of a ConfigMap ({@code HELM_DRIVER=configmap}): Helm's base64(gzip(json)) as it is. */
    public static String configMapData(JsonNode release) {
        return new String(Base64.getDecoder().decode(secretData(release, true)), StandardCharsets.US_ASCII);
    }
}

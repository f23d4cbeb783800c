package io.meshwarden.cluster;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.HelmRelease;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads Helm v3 release Secrets ({@code sh.helm.release.v1.<name>.v<revision>}). Helm stores
 * base64(gzip(JSON)) in {@code data.release}, and the Secret's {@code data} base64-encodes that again. Releases
 * stored with {@code HELM_DRIVER=configmap} are ConfigMaps of the same name holding Helm's string as it is. Read-only:
 * Meshwarden never writes these.
 *
 * <p>The release JSON also holds the rendered manifest and every chart template, often megabytes; it is streamed and
 * only metadata, defaults and config are materialised.
 */
public final class HelmReleaseDecoder {
    public static final String SECRET_TYPE = "helm.sh/release.v1";
    /** Bounds gunzip output so that a hostile Secret cannot exhaust the heap (the Secret itself is at most 1 MiB). */
    public static final int DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private final int maxDecodedBytes;

    public HelmReleaseDecoder() {
        this(DEFAULT_MAX_DECODED_BYTES);
    }

    public HelmReleaseDecoder(int maxDecodedBytes) {
        if (maxDecodedBytes <= 0) {
            throw new IllegalArgumentException("maxDecodedBytes must be positive");
        }
        this.maxDecodedBytes = maxDecodedBytes;
    }

    /** Only Secrets of type {@code helm.sh/release.v1} labelled {@code owner=helm} are releases. */
    public static boolean isReleaseSecret(JsonNode secret) {
        return secret != null && "Secret".equals(secret.path("kind").asText())
                && SECRET_TYPE.equals(secret.path("type").asText())
                && "helm".equals(secret.path("metadata").path("labels").path("owner").asText());
    }

    /**
     * A release stored with {@code HELM_DRIVER=configmap}: a ConfigMap labelled {@code owner=helm} named
     * {@code sh.helm.release.v1.<name>.v<revision>}, whose {@code data.release} is Helm's base64(gzip(JSON)) without
     * the extra base64 layer of a Secret's data ({@link #decode} takes either).
     */
    public static boolean isReleaseConfigMap(JsonNode configMap) {
        return configMap != null && "ConfigMap".equals(configMap.path("kind").asText())
                && "helm".equals(configMap.path("metadata").path("labels").path("owner").asText())
                && configMap.path("metadata").path("name").asText().startsWith("sh.helm.release.v1.");
    }

    /** Decodes a Secret object as returned by the API ({@code data.release} base64-encoded by the API). */
    public HelmRelease decodeSecret(JsonNode secret) {
        JsonNode meta = secret.path("metadata");
        String namespace = meta.path("namespace").isTextual() ? meta.path("namespace").asText() : null;
        String name = meta.path("name").asText("?");
        JsonNode release = secret.path("data").path("release");
        if (!release.isTextual()) {
            throw new HelmReleaseException(ref(namespace, name), "data.release is missing or not a string", null);
        }
        return decode(namespace, name, release.asText());
    }

    /**
     * @param secretNamespace used when the release JSON has no namespace, and in messages
     * @param secretName      for messages
     * @param dataRelease     the value of {@code data.release} exactly as it appears in the Secret's {@code data}
     */
    public HelmRelease decode(String secretNamespace, String secretName, String dataRelease) {
        String ref = ref(secretNamespace, secretName);
        byte[] payload = unwrap(ref, dataRelease);
        if (isGzip(payload)) {
            payload = gunzip(ref, payload);
        }
        try {
            return parse(payload, secretNamespace);
        } catch (JsonProcessingException e) {
            throw new HelmReleaseException(ref, "release is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException | IllegalArgumentException e) {
            throw new HelmReleaseException(ref, "release JSON is invalid: " + e.getMessage(), e);
        }
    }

    /**
     * The newest {@code deployed} revision per (namespace, name). A failed upgrade can leave an older revision as
     * the only deployed one, so "newest" alone is not enough; Helm itself takes the highest deployed revision when
     * (after an interrupted upgrade) several claim to be deployed.
     */
    public static List<HelmRelease> latestDeployed(Collection<HelmRelease> releases) {
        Map<String, HelmRelease> best = new LinkedHashMap<>();
        for (HelmRelease r : releases) {
            if (r.isDeployed()) {
                best.merge(r.namespace() + "/" + r.name(), r, (a, b) -> b.revision() > a.revision() ? b : a);
            }
        }
        return List.copyOf(best.values());
    }

    /**
     * Helm's coalescing of chart defaults with user values: maps merge recursively and the user wins; lists and
     * scalars replace; a null from the user deletes the key. Neither input is modified.
     */
    public static JsonNode mergeValues(JsonNode defaults, JsonNode config) {
        if (config == null || config.isMissingNode() || config.isNull()) {
            return defaults == null || defaults.isMissingNode() ? JsonNodeFactory.instance.objectNode()
                    : defaults.deepCopy();
        }
        if (defaults == null || !defaults.isObject() || !config.isObject()) {
            return withoutNulls(config);
        }
        ObjectNode out = ((ObjectNode) defaults).deepCopy();
        mergeInto(out, (ObjectNode) config);
        return out;
    }

    private static void mergeInto(ObjectNode target, ObjectNode overlay) {
        for (Map.Entry<String, JsonNode> e : overlay.properties()) {
            JsonNode value = e.getValue();
            JsonNode existing = target.get(e.getKey());
            if (value.isNull()) {
                target.remove(e.getKey());
            } else if (value.isObject() && existing != null && existing.isObject()) {
                mergeInto((ObjectNode) existing, (ObjectNode) value);
            } else {
                target.set(e.getKey(), withoutNulls(value));
            }
        }
    }

    /** User nulls mean "unset" even where the chart had no default to delete. */
    private static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!e.getValue().isNull()) {
                    out.set(e.getKey(), withoutNulls(e.getValue()));
                }
            }
            return out;
        }
        return node.deepCopy();
    }

    private static String ref(String namespace, String name) {
        return namespace == null ? name : namespace + "/" + name;
    }

    private static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    /**
     * Undoes the API's base64 and Helm's. If the API layer is already gone (the caller passed Helm's own string) the
     * first decode yields gzip or JSON, neither of which is base64 text, so the two cases cannot be confused.
     */
    private static byte[] unwrap(String ref, String dataRelease) {
        byte[] once = base64(ref, dataRelease, "data.release");
        if (isGzip(once) || startsWithJson(once)) {
            return once;
        }
        return base64(ref, new String(once, StandardCharsets.ISO_8859_1), "the Helm-encoded release inside data.release");
    }

    private static boolean startsWithJson(byte[] b) {
        for (byte c : b) {
            if (c == '{') {
                return true;
            }
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return false;
            }
        }
        return false;
    }

    private static byte[] base64(String ref, String text, String what) {
        StringBuilder compact = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                compact.append(c);
            }
        }
        if (compact.length() == 0) {
            throw new HelmReleaseException(ref, what + " is empty", null);
        }
        try {
            return Base64.getDecoder().decode(compact.toString());
        } catch (IllegalArgumentException e) {
            throw new HelmReleaseException(ref, what + " is not valid base64: " + e.getMessage(), e);
        }
    }

    private byte[] gunzip(String ref, byte[] gz) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxDecodedBytes, gz.length * 8));
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > maxDecodedBytes) {
                    throw new HelmReleaseException(ref,
                            "release decompresses to more than " + maxDecodedBytes + " bytes", null);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new HelmReleaseException(ref, "release is not valid gzip: " + e.getMessage(), e);
        }
    }

    private static HelmRelease parse(byte[] json, String secretNamespace) throws IOException {
        String name = null;
        String namespace = null;
        Integer revision = null;
        String status = null;
        JsonNode metadata = null;
        JsonNode defaults = null;
        JsonNode config = null;
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("release is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "name":
                        name = scalar(p, field);
                        break;
                    case "namespace":
                        namespace = scalar(p, field);
                        break;
                    case "version":
                        if (!p.currentToken().isNumeric()) {
                            throw new IllegalArgumentException("version must be a number");
                        }
                        revision = p.getIntValue();
                        break;
                    case "info":
                        status = readInfoStatus(p);
                        break;
                    case "chart":
                        JsonNode[] chart = readChart(p);
                        metadata = chart[0];
                        defaults = chart[1];
                        break;
                    case "config":
                        config = tree(p);
                        break;
                    default:
                        p.skipChildren();
                }
            }
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("release has no name");
        }
        if (revision == null) {
            throw new IllegalArgumentException("release has no version");
        }
        if (namespace == null || namespace.isEmpty()) {
            namespace = secretNamespace;
        }
        if (namespace == null) {
            throw new IllegalArgumentException("release has no namespace");
        }
        defaults = defaults == null ? JsonNodeFactory.instance.objectNode() : defaults;
        config = config == null ? JsonNodeFactory.instance.objectNode() : config;
        JsonNode meta = metadata == null ? JsonNodeFactory.instance.objectNode() : metadata;
        return new HelmRelease(name, namespace, revision, status, textOrNull(meta, "name"),
                textOrNull(meta, "version"), textOrNull(meta, "appVersion"), defaults, config,
                mergeValues(defaults, config));
    }

    private static String scalar(JsonParser p, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (!t.isScalarValue()) {
            throw new IllegalArgumentException(field + " must be a scalar");
        }
        return p.getText();
    }

    /** Objects and arrays as trees; null and missing read as absent. */
    private static JsonNode tree(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        return JSON.readTree(p);
    }

    private static String textOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
    }

    private static String readInfoStatus(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        String status = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("status")) {
                status = scalar(p, "info.status");
            } else {
                p.skipChildren();
            }
        }
        return status;
    }

    /** [metadata, values]; templates, files, schema and lock are skipped unread. */
    private static JsonNode[] readChart(JsonParser p) throws IOException {
        JsonNode[] out = new JsonNode[2];
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return out;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("metadata")) {
                out[0] = tree(p);
            } else if (field.equals("values")) {
                out[1] = tree(p);
            } else {
                p.skipChildren();
            }
        }
        return out;
    }
}

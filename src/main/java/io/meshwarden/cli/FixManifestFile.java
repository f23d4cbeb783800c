package io.meshwarden.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.enforce.MergePatch;
import io.meshwarden.model.ResourceRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * One manifest file of a snapshot, split into documents that can be merge-patched and written back.
 *
 * <p>YAML files are cut at their {@code ---} lines so that a rewrite re-serializes only the documents a patch
 * touched; every other document keeps its bytes, comments included. The cut is only trusted when parsing the pieces
 * one by one gives the same objects as parsing the whole file; otherwise (directives, {@code ...} markers, content
 * on a {@code ---} line) a changed file is re-serialized whole, still in document order.
 */
final class FixManifestFile {
    private static final Pattern SEPARATOR = Pattern.compile("---(?:[ \\t]+#.*|[ \\t]*)");
    /** Lines the splitter cannot place safely: anything else that starts a line with a marker or directive. */
    private static final Pattern UNSAFE = Pattern.compile("(?:---[ \\t].*|\\.\\.\\.(?:[ \\t].*)?|%.*)");
    private static final Pattern KEEP_ON_REWRITE = Pattern.compile("[ \\t]*(?:#.*)?|" + SEPARATOR.pattern());

    private static final ObjectMapper YAML;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(SerializationFeature.INDENT_OUTPUT).build();

    static {
        LoaderOptions options = new LoaderOptions();
        // Same reason as the snapshot loader: a whole-cluster List is larger than SnakeYAML's 3 MB default.
        options.setCodePointLimit(Integer.MAX_VALUE);
        YAML = YAMLMapper.builder(YAMLFactory.builder().loaderOptions(options).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                // Labels such as version: "1" must stay strings, or the API server rejects the object.
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                // Mesh config and other embedded documents stay readable in a diff.
                .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                .build();
    }

    /** Where an object sits: a document, then indices into nested {@code items} arrays of List documents. */
    record Location(int document, List<Integer> items) {
    }

    /**
     * An object found in the file.
     *
     * @param namespace as written; null when absent
     * @param helmRelease a Helm release Secret, which is never written
     */
    record Entry(String group, String kind, String namespace, String name, boolean helmRelease, Location location) {
        boolean matches(ResourceRef ref, String defaultNamespace) {
            if (!kind.equals(ref.kind()) || !name.equals(ref.name()) || !group.equals(FixManifestFile.group(ref.apiVersion()))) {
                return false;
            }
            // Cluster-scoped refs carry no namespace; namespaced objects written without one get the default.
            return ref.namespace() == null
                    || ref.namespace().equals(namespace == null || namespace.isEmpty() ? defaultNamespace : namespace);
        }
    }

    private static final class Document {
        final String raw;
        JsonNode node;
        boolean changed;

        Document(String raw, JsonNode node) {
            this.raw = raw;
            this.node = node;
        }
    }

    private final String name;
    private final byte[] original;
    private final boolean json;
    private final boolean cut;
    private final List<Document> documents;
    private final List<Entry> entries = new ArrayList<>();

    private FixManifestFile(String name, byte[] original, boolean json, boolean cut, List<Document> documents) {
        this.name = name;
        this.original = original;
        this.json = json;
        this.cut = cut;
        this.documents = documents;
        for (int i = 0; i < documents.size(); i++) {
            JsonNode n = documents.get(i).node;
            if (n != null && n.isObject()) {
                index(n, null, null, new Location(i, List.of()));
            }
        }
    }

    static boolean isManifest(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json");
    }

    /**
     * @param name for messages
     * @throws IllegalArgumentException naming the file when it does not parse
     */
    static FixManifestFile parse(String name, byte[] bytes) {
        boolean json = name.toLowerCase(Locale.ROOT).endsWith(".json");
        try {
            List<JsonNode> whole = documents(json ? JSON : YAML, bytes, json);
            if (json) {
                List<Document> docs = new ArrayList<>();
                whole.forEach(n -> docs.add(new Document(null, n)));
                return new FixManifestFile(name, bytes, true, false, docs);
            }
            List<Document> pieces = cut(new String(bytes, StandardCharsets.UTF_8));
            if (pieces != null && sameObjects(pieces, whole)) {
                return new FixManifestFile(name, bytes, false, true, pieces);
            }
            List<Document> docs = new ArrayList<>();
            whole.forEach(n -> docs.add(new Document(null, n)));
            return new FixManifestFile(name, bytes, false, false, docs);
        } catch (IOException e) {
            String msg = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage()
                    : e.toString();
            throw new IllegalArgumentException(name + ": " + msg, e);
        }
    }

    /** Non-empty documents in order; empty ones (two {@code ---} in a row, a comment only) are left out. */
    private static List<JsonNode> documents(ObjectMapper mapper, byte[] bytes, boolean json) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (JsonParser p = mapper.createParser(bytes)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.VALUE_NULL || (!json && t == JsonToken.VALUE_STRING && p.getText().isEmpty())) {
                    continue;
                }
                out.add(mapper.readTree(p));
            }
        }
        return out;
    }

    /** The text cut at separator lines, each piece parsed alone; null when the text has lines the cut cannot place. */
    private static List<Document> cut(String text) throws IOException {
        List<String> raws = new ArrayList<>();
        int start = 0;
        int pos = 0;
        while (pos < text.length()) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? text.length() : nl + 1;
            String line = stripEol(text.substring(pos, end));
            if (SEPARATOR.matcher(line).matches()) {
                if (pos > start) {
                    raws.add(text.substring(start, pos));
                }
                start = pos;
            } else if (UNSAFE.matcher(line).matches()) {
                return null;
            }
            pos = end;
        }
        if (start < text.length()) {
            raws.add(text.substring(start));
        }
        List<Document> out = new ArrayList<>();
        for (String raw : raws) {
            List<JsonNode> nodes = documents(YAML, raw.getBytes(StandardCharsets.UTF_8), false);
            if (nodes.size() > 1) {
                return null;
            }
            out.add(new Document(raw, nodes.isEmpty() ? null : nodes.get(0)));
        }
        return out;
    }

    private static boolean sameObjects(List<Document> pieces, List<JsonNode> whole) {
        List<JsonNode> fromPieces = new ArrayList<>();
        for (Document d : pieces) {
            if (d.node != null) {
                fromPieces.add(d.node);
            }
        }
        return fromPieces.equals(whole);
    }

    private static String stripEol(String line) {
        int n = line.length();
        while (n > 0 && (line.charAt(n - 1) == '\n' || line.charAt(n - 1) == '\r')) {
            n--;
        }
        return line.substring(0, n);
    }

    /** Mirrors the snapshot loader: List and typed *List documents are containers, their items the objects. */
    private void index(JsonNode object, String fallbackApiVersion, String fallbackKind, Location at) {
        String apiVersion = text(object, "apiVersion", fallbackApiVersion);
        String kind = text(object, "kind", fallbackKind);
        JsonNode items = object.get("items");
        if (kind != null && kind.endsWith("List") && items != null && items.isArray()) {
            // Typed lists from the API (DeploymentList) omit each item's kind; List items never do.
            String itemKind = kind.equals("List") ? null : kind.substring(0, kind.length() - "List".length());
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i).isObject()) {
                    List<Integer> path = new ArrayList<>(at.items());
                    path.add(i);
                    index(items.get(i), apiVersion, itemKind, new Location(at.document(), List.copyOf(path)));
                }
            }
            return;
        }
        JsonNode meta = object.get("metadata");
        String objectName = meta == null ? null : text(meta, "name", null);
        if (kind == null || objectName == null) {
            return;
        }
        String group = group(apiVersion);
        boolean helmRelease = group.isEmpty() && kind.equals("Secret")
                && object.path("type").asText("").startsWith("helm.sh/release");
        entries.add(new Entry(group, kind, text(meta, "namespace", null), objectName, helmRelease, at));
    }

    private static String text(JsonNode n, String field, String fallback) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    static String group(String apiVersion) {
        int slash = apiVersion == null ? -1 : apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    String name() {
        return name;
    }

    List<Entry> entries() {
        return entries;
    }

    boolean changed() {
        for (Document d : documents) {
            if (d.changed) {
                return true;
            }
        }
        return false;
    }

    /** @return whether the object's content changed (a patch that restates current values changes nothing) */
    boolean patch(Location at, JsonNode mergePatch) {
        Document doc = documents.get(at.document());
        if (at.items().isEmpty()) {
            JsonNode patched = MergePatch.apply(doc.node, mergePatch);
            if (patched.equals(doc.node)) {
                return false;
            }
            doc.node = patched;
            doc.changed = true;
            return true;
        }
        JsonNode container = doc.node;
        for (int i = 0; i < at.items().size() - 1; i++) {
            container = container.get("items").get(at.items().get(i));
        }
        ArrayNode items = (ArrayNode) container.get("items");
        int last = at.items().get(at.items().size() - 1);
        JsonNode patched = MergePatch.apply(items.get(last), mergePatch);
        if (patched.equals(items.get(last))) {
            return false;
        }
        items.set(last, patched);
        doc.changed = true;
        return true;
    }

    /** The file's bytes: the original ones when nothing changed. */
    byte[] render() {
        if (!changed()) {
            return original;
        }
        StringBuilder sb = new StringBuilder();
        if (json) {
            for (Document d : documents) {
                sb.append(toJson(d.node)).append('\n');
            }
        } else if (cut) {
            for (Document d : documents) {
                if (d.changed) {
                    sb.append(keptLines(d.raw)).append(toYaml(d.node));
                } else {
                    sb.append(d.raw);
                }
            }
        } else {
            for (int i = 0; i < documents.size(); i++) {
                if (i > 0) {
                    sb.append("---\n");
                }
                sb.append(toYaml(documents.get(i).node));
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The separator and the comment lines that open a piece: they usually explain the object, so a patch keeps them. */
    private static String keptLines(String raw) {
        int pos = 0;
        while (pos < raw.length()) {
            int nl = raw.indexOf('\n', pos);
            if (nl < 0 || !KEEP_ON_REWRITE.matcher(stripEol(raw.substring(pos, nl + 1))).matches()) {
                break;
            }
            pos = nl + 1;
        }
        return raw.substring(0, pos);
    }

    static String toYaml(JsonNode node) {
        try {
            return YAML.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String toJson(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

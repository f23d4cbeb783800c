package io.meshwarden.cluster;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.files.FileTree;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.SourceLocation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Loads a {@link ClusterSnapshot} from a directory of manifests as written by {@code kubectl get -o yaml} or
 * {@code helm template}: nested folders, {@code *.yaml}, {@code *.yml}, {@code *.json}, multi-document YAML, and
 * {@code List}/{@code *List} documents. Files are read in path order so that results and errors are reproducible.
 *
 * <p>Hidden files and folders are skipped (version control, editor state, the {@code ..data} folders of a mounted
 * ConfigMap); symbolic links to files are followed, links to folders are not, so a link cannot cause a cycle.
 *
 * <p>List items are trimmed one by one while the list is parsed, so a dump of a whole cluster never exists in memory
 * as one tree.
 */
public final class ManifestDirectoryLoader {
    private final String istioNamespace;
    private final String defaultNamespace;
    private final ObjectMapper yaml;
    private final ObjectMapper json;

    public ManifestDirectoryLoader() {
        this(ClusterSnapshotBuilder.DEFAULT_ISTIO_NAMESPACE, ClusterSnapshotBuilder.DEFAULT_NAMESPACE);
    }

    /**
     * @param istioNamespace   where istiod's mesh ConfigMaps live
     * @param defaultNamespace for namespaced objects written without one
     */
    public ManifestDirectoryLoader(String istioNamespace, String defaultNamespace) {
        this.istioNamespace = istioNamespace;
        this.defaultNamespace = defaultNamespace;
        LoaderOptions options = new LoaderOptions();
        // SnakeYAML's default of 3 MB per document is below a `kubectl get -A -o yaml` List of a large cluster.
        options.setCodePointLimit(Integer.MAX_VALUE);
        this.yaml = YAMLMapper.builder(YAMLFactory.builder().loaderOptions(options).build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        this.json = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    }

    /** @param root a directory, or a single manifest file */
    public ClusterSnapshot load(Path root) {
        return load(root, null).snapshot();
    }

    /**
     * A snapshot and where each of its objects starts.
     *
     * @param sources keyed like {@link io.meshwarden.model.ResourceRef#toString()} ({@code Kind namespace/name}, or
     *                {@code Kind name} when cluster-scoped); a Helm release under {@code HelmRelease namespace/name}
     *                points at the Secret or ConfigMap of its deployed revision
     */
    public record Located(ClusterSnapshot snapshot, Map<String, SourceLocation> sources) {
        public Located {
            sources = Map.copyOf(sources);
        }
    }

    /** Like {@link #load(Path)}, also keeping the file and line of each object (for SARIF locations). */
    public Located loadLocated(Path root) {
        return load(root, new HashMap<>());
    }

    private Located load(Path root, Map<String, SourceLocation> sources) {
        ClusterSnapshotBuilder builder = new ClusterSnapshotBuilder(istioNamespace, defaultNamespace,
                new HelmReleaseDecoder());
        for (Path file : manifestFiles(root)) {
            loadFile(file, builder, sources);
        }
        ClusterSnapshot snapshot = builder.build();
        if (sources == null) {
            return new Located(snapshot, Map.of());
        }
        // Every revision's Secret was recorded under its revision; keep the one the snapshot kept.
        Map<String, SourceLocation> out = new HashMap<>();
        sources.forEach((k, v) -> {
            if (!k.startsWith(ResourceRefKeys.HELM_PREFIX)) {
                out.put(k, v);
            }
        });
        for (HelmRelease r : snapshot.helmReleases()) {
            SourceLocation at = sources.get(ResourceRefKeys.helm(r.namespace(), r.name(), r.revision()));
            if (at != null) {
                out.put(ResourceRefKeys.HELM_PREFIX + r.namespace() + "/" + r.name(), at);
            }
        }
        return new Located(snapshot, out);
    }

    static boolean isManifest(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json");
    }

    private static List<Path> manifestFiles(Path root) {
        if (!Files.exists(root)) {
            throw new ManifestLoadException(root, 0, "no such file or directory", null);
        }
        if (!Files.isDirectory(root)) {
            return List.of(root);
        }
        try {
            List<Path> files = new ArrayList<>();
            for (Path f : FileTree.walk(root, false, Integer.MAX_VALUE).files()) {
                if (isManifest(f)) {
                    files.add(f);
                }
            }
            return files;
        } catch (IOException e) {
            throw new ManifestLoadException(root, 0, "cannot list: " + e, e);
        }
    }

    private void loadFile(Path file, ClusterSnapshotBuilder builder, Map<String, SourceLocation> sources) {
        boolean isJson = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        ObjectMapper mapper = isJson ? json : yaml;
        try (InputStream in = Files.newInputStream(file); JsonParser p = mapper.createParser(in)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                int line = line(p.currentTokenLocation());
                // Jackson reports an empty YAML document (two "---" in a row, or one holding only a comment as
                // helm template writes for templates that render nothing) as an empty string.
                if (t == JsonToken.VALUE_NULL || (!isJson && t == JsonToken.VALUE_STRING && p.getText().isEmpty())) {
                    continue;
                }
                if (t != JsonToken.START_OBJECT) {
                    throw new ManifestLoadException(file, line,
                            "expected a Kubernetes object (a mapping), found " + describe(t), null);
                }
                readDocument(p, mapper, file, line, builder, sources);
            }
        } catch (JsonProcessingException e) {
            throw new ManifestLoadException(file, line(e.getLocation()), e.getOriginalMessage(), e);
        } catch (NoSuchFileException e) {
            throw new ManifestLoadException(file, 0, "file disappeared while loading", e);
        } catch (IOException e) {
            throw new ManifestLoadException(file, 0, "cannot read: " + e, e);
        } catch (ManifestLoadException e) {
            throw e;
        } catch (RuntimeException e) {
            // SnakeYAML limits and similar parser failures that Jackson does not wrap.
            throw new ManifestLoadException(file, 0, String.valueOf(e.getMessage()), e);
        }
    }

    private record Staged(Object trimmed, int line) {
    }

    /**
     * Reads one top-level object. Items of an {@code items} array are trimmed as they are parsed; they are only
     * committed once the document's kind (which kubectl writes after {@code items}) shows it is a list.
     */
    private void readDocument(JsonParser p, ObjectMapper mapper, Path file, int line, ClusterSnapshotBuilder b,
            Map<String, SourceLocation> sources) throws IOException {
        ObjectNode header = JsonNodeFactory.instance.objectNode();
        List<Staged> staged = new ArrayList<>();
        List<JsonNode> untyped = new ArrayList<>();
        List<Integer> untypedLines = new ArrayList<>();
        boolean hasItems = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("items") && t == JsonToken.START_ARRAY) {
                hasItems = true;
                JsonToken it;
                while ((it = p.nextToken()) != JsonToken.END_ARRAY) {
                    int itemLine = line(p.currentTokenLocation());
                    if (it != JsonToken.START_OBJECT) {
                        throw new ManifestLoadException(file, itemLine,
                                "list items must be Kubernetes objects, found " + describe(it), null);
                    }
                    JsonNode item = mapper.readTree(p);
                    JsonNode itemKind = item.get("kind");
                    if (itemKind != null && itemKind.isTextual()) {
                        stage(b, item, null, null, file, itemLine, staged);
                    } else {
                        untyped.add(item);
                        untypedLines.add(itemLine);
                    }
                }
            } else {
                JsonNode value = mapper.readTree(p);
                header.set(field, value == null ? NullNode.getInstance() : value);
            }
        }
        String kind = header.path("kind").isTextual() ? header.path("kind").asText() : null;
        if (hasItems && ClusterSnapshotBuilder.isListKind(kind)) {
            String apiVersion = header.path("apiVersion").isTextual() ? header.path("apiVersion").asText() : null;
            String itemKind = ClusterSnapshotBuilder.itemKind(kind);
            for (int i = 0; i < untyped.size(); i++) {
                stage(b, untyped.get(i), apiVersion, itemKind, file, untypedLines.get(i), staged);
            }
            for (Staged s : staged) {
                commit(b, s, file, sources);
            }
        } else {
            List<Staged> single = new ArrayList<>(1);
            stage(b, header, null, null, file, line, single);
            for (Staged s : single) {
                commit(b, s, file, sources);
            }
        }
    }

    private static void stage(ClusterSnapshotBuilder b, JsonNode object, String fallbackApiVersion,
            String fallbackKind, Path file, int line, List<Staged> out) {
        try {
            JsonNode kindNode = object.get("kind");
            String kind = kindNode != null && kindNode.isTextual() ? kindNode.asText() : fallbackKind;
            JsonNode items = object.get("items");
            if (ClusterSnapshotBuilder.isListKind(kind) && items != null && items.isArray()) {
                String apiVersion = object.path("apiVersion").isTextual() ? object.path("apiVersion").asText()
                        : fallbackApiVersion;
                for (JsonNode item : items) {
                    stage(b, item, apiVersion, ClusterSnapshotBuilder.itemKind(kind), file, line, out);
                }
                return;
            }
            Object trimmed = b.trim(object, fallbackApiVersion, fallbackKind);
            if (trimmed != null) {
                out.add(new Staged(trimmed, line));
            }
        } catch (IllegalArgumentException | HelmReleaseException e) {
            throw new ManifestLoadException(file, line, e.getMessage(), e);
        }
    }

    private static void commit(ClusterSnapshotBuilder b, Staged s, Path file, Map<String, SourceLocation> sources) {
        try {
            boolean kept = b.accept(s.trimmed(), file + ":" + s.line());
            if (kept && sources != null) {
                sources.put(ResourceRefKeys.of(s.trimmed()), new SourceLocation(file.toString(), s.line()));
            }
        } catch (IllegalArgumentException e) {
            throw new ManifestLoadException(file, s.line(), e.getMessage(), e);
        }
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : Math.max(0, location.getLineNr());
    }

    private static String describe(JsonToken t) {
        switch (t) {
            case START_ARRAY:
                return "a list";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            default:
                return t.toString();
        }
    }
}

package io.meshwarden.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Parsing and printing of JSON and YAML documents with hard limits, so that hostile input (huge documents, deep
 * nesting, alias bombs, duplicate keys) is refused with a clear message instead of exhausting the heap.
 */
public final class Documents {
    public static final int MAX_DOCUMENT_BYTES = 512 * 1024;
    public static final int MAX_DEPTH = 64;
    public static final int MAX_ALIASES = 50;
    public static final int MAX_DOCUMENTS_PER_FILE = 1000;

    /** A parsed document and where it starts in its file (1-based line). */
    public record Located(JsonNode node, int line, int index) {
    }

    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH).maxNumberLength(64).maxStringLength(MAX_DOCUMENT_BYTES).build();
    private static final ObjectMapper JSON = configure(JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(yamlFactory())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .build());

    private Documents() {
    }

    private static YAMLFactory yamlFactory() {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_DEPTH);
        options.setCodePointLimit(8 * MAX_DOCUMENT_BYTES);
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        return YAMLFactory.builder().loaderOptions(options).streamReadConstraints(LIMITS).build();
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(LIMITS);
        mapper.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        // Trailing content is checked by hand: in YAML it is the next document, in JSON an error.
        mapper.enable(SerializationFeature.INDENT_OUTPUT);
        mapper.registerModule(new JavaTimeModule());
        mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        return mapper;
    }

    public static boolean isYaml(String mediaType) {
        if (mediaType == null) {
            return false;
        }
        String m = mediaType.toLowerCase(java.util.Locale.ROOT);
        return m.contains("yaml");
    }

    /** Exactly one document (a REST body). JSON is a subset of YAML, but JSON bodies get JSON's stricter parser. */
    public static JsonNode parseOne(byte[] body, boolean yaml) {
        List<Located> docs = parseAll(body, yaml);
        if (docs.isEmpty()) {
            throw new DocumentSyntaxException("the body is empty: send one MeshPolicy document", 0, 0);
        }
        if (docs.size() > 1) {
            throw new DocumentSyntaxException("the body holds " + docs.size() + " documents; send exactly one",
                    docs.get(1).line(), 1);
        }
        return docs.get(0).node();
    }

    /** Every document in a (possibly multi-document) input; empty documents are skipped. */
    public static List<Located> parseAll(byte[] input, boolean yaml) {
        if (input.length > MAX_DOCUMENT_BYTES * (yaml ? 8 : 1)) {
            throw new DocumentSyntaxException("input of " + input.length + " bytes exceeds the limit", 0, 0);
        }
        for (byte b : input) {
            if (b == 0) {
                throw new DocumentSyntaxException("input is binary (contains a NUL byte), not " + (yaml ? "YAML"
                        : "JSON"), 0, 0);
            }
        }
        ObjectMapper mapper = yaml ? YAML : JSON;
        List<Located> out = new ArrayList<>();
        JsonParser parser = null;
        try {
            parser = mapper.createParser(input);
            while (true) {
                JsonToken token = parser.nextToken();
                if (token == null) {
                    break;
                }
                int line = parser.currentTokenLocation().getLineNr();
                JsonNode node = mapper.readTree(parser);
                // An empty YAML document (only comments) reads as null or as an empty scalar.
                boolean empty = node == null || node.isNull() || node.isMissingNode()
                        || (yaml && node.isTextual() && node.textValue().isEmpty());
                if (!empty) {
                    if (out.size() >= MAX_DOCUMENTS_PER_FILE) {
                        throw new DocumentSyntaxException("more than " + MAX_DOCUMENTS_PER_FILE + " documents", line,
                                0);
                    }
                    out.add(new Located(node, line, out.size()));
                }
                if (!yaml) {
                    if (parser.nextToken() != null) {
                        JsonLocation l = parser.currentTokenLocation();
                        throw new DocumentSyntaxException("unexpected content after the JSON document", l.getLineNr(),
                                l.getColumnNr());
                    }
                    break;
                }
            }
        } catch (JsonProcessingException e) {
            // Limit violations carry no location of their own; the parser still knows where it stopped.
            JsonLocation l = e.getLocation() != null ? e.getLocation()
                    : parser != null ? parser.currentLocation() : null;
            throw new DocumentSyntaxException(clean(e), l == null ? 0 : Math.max(0, l.getLineNr()),
                    l == null ? 0 : Math.max(0, l.getColumnNr()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (DocumentSyntaxException e) {
            throw e;
        } catch (RuntimeException e) {
            // SnakeYAML signals its own limits (aliases, depth, code points) with unchecked exceptions.
            int line = 0;
            if (parser != null && parser.currentLocation() != null) {
                line = Math.max(0, parser.currentLocation().getLineNr());
            }
            throw new DocumentSyntaxException("invalid " + (yaml ? "YAML" : "JSON") + ": " + firstLine(e.getMessage()),
                    line, 0);
        } finally {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // nothing was written; closing a reader over a byte array cannot lose data
                }
            }
        }
        return out;
    }

    private static String clean(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        return "invalid document: " + firstLine(msg);
    }

    private static String firstLine(String msg) {
        if (msg == null) {
            return "unreadable input";
        }
        int nl = msg.indexOf('\n');
        String first = withoutClassNames(nl < 0 ? msg : msg.substring(0, nl));
        return first.length() > 300 ? first.substring(0, 300) + "…" : first;
    }

    private static final java.util.regex.Pattern EVENT = java.util.regex.Pattern.compile(
            "<?\\b(?:[a-z_][a-z0-9_]*\\.)+([A-Z][A-Za-z0-9_]*?)(?:Event|Token)?(?:\\([^)]*\\))?>?");

    /**
     * A parser's message in the user's terms: SnakeYAML and Jackson name their own classes (events such as
     * org.yaml.snakeyaml.events.SequenceStartEvent(anchor=null, ...)), which tells a client what runs inside.
     */
    static String withoutClassNames(String msg) {
        java.util.regex.Matcher m = EVENT.matcher(msg.replace(" (Scalar value in YAML)", ""));
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String what = switch (m.group(1)) {
                case "SequenceStart" -> "the start of a list";
                case "SequenceEnd" -> "the end of a list";
                case "MappingStart" -> "the start of a map";
                case "MappingEnd" -> "the end of a map";
                case "Scalar" -> "a value";
                case "Alias" -> "an alias";
                case "DocumentStart", "DocumentEnd", "StreamStart", "StreamEnd" -> "a document boundary";
                default -> "unexpected content";
            };
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(what));
        }
        m.appendTail(out);
        return out.toString();
    }

    public static String toYaml(Object value) {
        try {
            return YAML.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

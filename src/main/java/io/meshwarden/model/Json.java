package io.meshwarden.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.Map;
import java.util.TreeMap;

/** Small tree helpers shared by the rules. */
public final class Json {
    public static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper YAML = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build();

    private Json() {
    }

    /** A value that is present and not null. */
    public static boolean isSet(JsonNode n) {
        return n != null && !n.isMissingNode() && !n.isNull();
    }

    /** A node at a dotted path ({@code pilot.autoscaleMin}); keys never contain dots in the paths used here. */
    public static JsonNode at(JsonNode root, String dottedPath) {
        JsonNode n = root;
        for (String key : dottedPath.split("\\.")) {
            if (n == null || !n.isObject()) {
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            n = n.path(key);
        }
        return n == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : n;
    }

    /** The smallest object that sets {@code value} at {@code dottedPath}. */
    public static ObjectNode nest(String dottedPath, JsonNode value) {
        String[] keys = dottedPath.split("\\.");
        ObjectNode root = F.objectNode();
        ObjectNode n = root;
        for (int i = 0; i < keys.length - 1; i++) {
            n = n.putObject(keys[i]);
        }
        n.set(keys[keys.length - 1], value);
        return root;
    }

    /**
     * Booleans as Helm sees them: YAML booleans, and the strings "true"/"false" that {@code --set} and env maps
     * produce.
     */
    public static Boolean bool(JsonNode n) {
        if (!isSet(n)) {
            return null;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        String t = n.asText().trim();
        if (t.equalsIgnoreCase("true")) {
            return true;
        }
        if (t.equalsIgnoreCase("false")) {
            return false;
        }
        return null;
    }

    /** Integers, also when written as strings or floats (Helm turns numbers into float64). */
    public static Integer integer(JsonNode n) {
        if (!isSet(n)) {
            return null;
        }
        if (n.isNumber()) {
            return n.intValue();
        }
        try {
            return new java.math.BigDecimal(n.asText().trim()).intValue();
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public static java.math.BigDecimal decimal(JsonNode n) {
        if (!isSet(n)) {
            return null;
        }
        if (n.isNumber()) {
            return n.decimalValue();
        }
        try {
            return new java.math.BigDecimal(n.asText().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whole numbers as integers, so that {@code 10} is not written as {@code 10.0} or compared as a decimal. */
    public static JsonNode number(java.math.BigDecimal n) {
        java.math.BigDecimal s = n.stripTrailingZeros();
        if (s.scale() <= 0 && s.abs().compareTo(java.math.BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0) {
            return F.numberNode(s.intValueExact());
        }
        return F.numberNode(n.doubleValue());
    }

    public static ObjectNode labels(Map<String, String> labels) {
        ObjectNode o = F.objectNode();
        new TreeMap<>(labels).forEach(o::put);
        return o;
    }

    /**
     * Parses an annotation such as {@code proxy.istio.io/config}, which holds YAML or JSON. Returns null when it is
     * not a mapping: Istio rejects such a pod at injection, and that is not what these rules judge.
     */
    public static JsonNode parseYaml(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            JsonNode n = YAML.readTree(text);
            return n != null && n.isObject() ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The one YAML writer (numbers-as-text stay quoted: a mesh config or chart schema would read 1 as a number). */
    public static String toYaml(JsonNode n) {
        return io.meshwarden.policy.Documents.toYaml(n);
    }

    /** Text for messages: scalars without quotes, everything else as compact JSON. */
    public static String show(JsonNode n) {
        if (!isSet(n)) {
            return "unset";
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }
}

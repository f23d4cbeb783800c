package io.meshwarden.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Strict readers for manifest trees: wrong shapes fail with the field's path instead of turning into defaults. */
final class Nodes {
    private Nodes() {
    }

    /** "" for the core group ({@code v1}). */
    static String group(String apiVersion) {
        if (apiVersion == null) {
            return "";
        }
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    /** A scalar as text; null when missing or null. */
    static String text(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(path + " must be a scalar, not " + v.getNodeType());
        }
        return v.asText();
    }

    static Integer integer(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(path + " must be an integer, not '" + v.asText() + "'");
        }
        return v.intValue();
    }

    /** Fields of type IntOrString (minAvailable), kept as written. */
    static String intOrString(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!(v.isIntegralNumber() || v.isTextual())) {
            throw new IllegalArgumentException(path + " must be an integer or a percentage, not '" + v + "'");
        }
        return v.asText();
    }

    /** An object or null/missing; anything else is an error. */
    static JsonNode object(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new IllegalArgumentException(path + " must be a mapping, not " + v.getNodeType());
        }
        return v;
    }

    static Iterable<JsonNode> array(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return Set.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(path + " must be a list, not " + v.getNodeType());
        }
        return v;
    }

    /**
     * A string map such as labels. A null value reads as "" as the API server's decoder does; {@code drop} keys
     * are left out.
     */
    static Map<String, String> stringMap(JsonNode parent, String field, String path, StringPool pool,
            Set<String> drop) {
        JsonNode m = object(parent, field, path);
        if (m == null || m.isEmpty()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            if (drop.contains(e.getKey())) {
                continue;
            }
            JsonNode v = e.getValue();
            if (!v.isValueNode()) {
                throw new IllegalArgumentException(path + "." + e.getKey() + " must be a string");
            }
            out.put(pool.string(e.getKey()), pool.string(v.isNull() ? "" : v.asText()));
        }
        return pool.map(out);
    }

    /**
     * Deduplicates strings and small maps within one snapshot. Label keys and values repeat across thousands of
     * workloads, and pod-template labels usually equal the workload's; sharing them is most of the per-workload
     * saving. Long strings are not pooled: they are rarely repeated and would only grow the pool.
     */
    static final class StringPool {
        private static final int MAX_POOLED_LENGTH = 256;
        private final Map<String, String> strings = new HashMap<>();
        private final Map<Map<String, String>, Map<String, String>> maps = new HashMap<>();

        String string(String s) {
            if (s == null || s.length() > MAX_POOLED_LENGTH) {
                return s;
            }
            String prior = strings.putIfAbsent(s, s);
            return prior == null ? s : prior;
        }

        Map<String, String> map(Map<String, String> m) {
            if (m.isEmpty()) {
                return Map.of();
            }
            Map<String, String> immutable = Map.copyOf(m);
            Map<String, String> prior = maps.putIfAbsent(immutable, immutable);
            return prior == null ? immutable : prior;
        }
    }
}

package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads typed values out of a JSON tree and records a violation (with its path) instead of failing on the first
 * problem, so that a user sees every mistake in one answer. Getters return null when the value is absent or bad.
 */
final class TreeReader {
    private final List<Violation> violations = new ArrayList<>();
    private final int maxViolations;
    private int omitted;

    /** @param maxViolations violations kept; past it a hostile document (thousands of bad items) only counts up */
    TreeReader(int maxViolations) {
        if (maxViolations < 1) {
            throw new IllegalArgumentException("maxViolations must be at least 1, got " + maxViolations);
        }
        this.maxViolations = maxViolations;
    }

    List<Violation> violations() {
        return violations;
    }

    /** Violations found past the cap: counted, not kept. */
    int omitted() {
        return omitted;
    }

    void fail(String path, String reason) {
        if (violations.size() < maxViolations) {
            violations.add(new Violation(path, reason));
        } else {
            omitted++;
        }
    }

    static String child(String path, String field) {
        // JSON pointer escaping (RFC 6901) so label keys like app.kubernetes.io/name stay unambiguous.
        return path + "/" + field.replace("~", "~0").replace("/", "~1");
    }

    /** Returns the object at path, or null (with a violation if it is present but not an object). */
    JsonNode object(JsonNode node, String path, boolean required) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            if (required) {
                fail(path, "is required");
            }
            return null;
        }
        if (!node.isObject()) {
            fail(path, "must be an object, got " + describe(node));
            return null;
        }
        return node;
    }

    /** Flags every field of an object that is not in the allowed set. */
    void onlyFields(JsonNode obj, String path, Set<String> allowed) {
        Iterator<String> names = obj.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!allowed.contains(n)) {
                fail(child(path, n), "unknown field (allowed: " + String.join(", ", allowed) + ")");
            }
        }
    }

    String string(JsonNode parent, String field, String path, boolean required) {
        JsonNode n = parent.get(field);
        String p = child(path, field);
        if (n == null || n.isNull()) {
            if (required) {
                fail(p, "is required");
            }
            return null;
        }
        if (!n.isTextual()) {
            fail(p, "must be a string, got " + describe(n));
            return null;
        }
        return n.textValue();
    }

    /** The field's node when present and of the wanted kind; null otherwise, with a violation for a wrong kind. */
    private JsonNode value(JsonNode parent, String field, String path, Predicate<JsonNode> kind, String what) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!kind.test(n)) {
            fail(child(path, field), "must be " + what + ", got " + describe(n));
            return null;
        }
        return n;
    }

    Boolean bool(JsonNode parent, String field, String path) {
        JsonNode n = value(parent, field, path, JsonNode::isBoolean, "a boolean (true or false)");
        return n == null ? null : n.booleanValue();
    }

    Integer integer(JsonNode parent, String field, String path, int min, int max) {
        JsonNode n = value(parent, field, path, JsonNode::isIntegralNumber, "an integer");
        if (n != null && (!n.canConvertToInt() || n.intValue() < min || n.intValue() > max)) {
            fail(child(path, field), "must be between " + min + " and " + max + ", got " + n.asText());
            return null;
        }
        return n == null ? null : n.intValue();
    }

    BigDecimal decimal(JsonNode parent, String field, String path, BigDecimal min, BigDecimal max) {
        JsonNode n = value(parent, field, path, JsonNode::isNumber, "a number");
        BigDecimal v = n == null ? null : n.decimalValue();
        String size = v == null ? null : Numbers.checkDecimal(v);
        if (size != null) {
            // Before anything else touches it: 1e-999999999 is in range, and its plain form exhausts the heap.
            fail(child(path, field), size);
            return null;
        }
        if (v != null && (v.compareTo(min) < 0 || v.compareTo(max) > 0)) {
            fail(child(path, field), "must be between " + min.toPlainString() + " and " + max.toPlainString()
                    + ", got " + n.asText());
            return null;
        }
        return v;
    }

    /** A list of strings; null when absent. Each bad element is reported with its index. */
    List<String> strings(JsonNode parent, String field, String path) {
        JsonNode n = parent.get(field);
        String p = child(path, field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            fail(p, "must be a list of strings, got " + describe(n));
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            if (!e.isTextual()) {
                fail(p + "/" + i, "must be a string, got " + describe(e));
            } else {
                out.add(e.textValue());
            }
        }
        return out;
    }

    /** A map of string to string; null when absent. */
    Map<String, String> stringMap(JsonNode parent, String field, String path) {
        JsonNode n = parent.get(field);
        String p = child(path, field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            fail(p, "must be a map of strings, got " + describe(n));
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                fail(child(p, e.getKey()), "must be a string, got " + describe(e.getValue())
                        + (e.getValue().isValueNode() ? " (quote it)" : ""));
            } else {
                out.put(e.getKey(), e.getValue().textValue());
            }
        });
        return out;
    }

    static String describe(JsonNode n) {
        JsonNodeType t = n.getNodeType();
        return switch (t) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case NULL, MISSING -> "null";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}

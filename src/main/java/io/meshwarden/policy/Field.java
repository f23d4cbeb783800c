package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One field of a policy type's parameters, declared once: {@link #read} validates a document against it (recording
 * every violation with its path) and {@link #schema} describes it for the CRD and the OpenAPI document, so the two
 * cannot drift apart.
 *
 * <p>{@code defaultValue} is what an absent field means; it is shown in the OpenAPI document and applied by
 * {@link Shape.Values}. Checks that a schema cannot express (label syntax, limits &gt;= requests) are the type's
 * own code.
 */
public sealed interface Field {
    JsonNodeFactory F = JsonNodeFactory.instance;
    ObjectMapper TREES = new ObjectMapper();

    String name();

    String description();

    /** The document's value when the field is absent; null when there is none or it depends on other fields. */
    JsonNode defaultValue();

    /** The JSON schema of the value (no default: the caller decides where defaults may appear). */
    ObjectNode schema();

    /** The value in its Java form, or null when absent or invalid (then a violation is recorded). */
    Object read(TreeReader r, JsonNode parent, String path);

    /** Per-item check of strings: returns a problem or null. */
    interface Check extends UnaryOperator<String> {
    }

    record Int(String name, int min, int max, Integer defaultInt, String description) implements Field {
        public JsonNode defaultValue() {
            return defaultInt == null ? null : F.numberNode(defaultInt);
        }

        public ObjectNode schema() {
            return F.objectNode().put("type", "integer").put("minimum", min).put("maximum", max);
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            return r.integer(parent, name, path, min, max);
        }
    }

    record Bool(String name, Boolean defaultBool, String description) implements Field {
        public JsonNode defaultValue() {
            return defaultBool == null ? null : F.booleanNode(defaultBool);
        }

        public ObjectNode schema() {
            return F.objectNode().put("type", "boolean");
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            return r.bool(parent, name, path);
        }
    }

    record Decimal(String name, BigDecimal min, BigDecimal max, BigDecimal defaultDecimal, String description)
            implements Field {
        public JsonNode defaultValue() {
            return defaultDecimal == null ? null : F.numberNode(defaultDecimal);
        }

        public ObjectNode schema() {
            return F.objectNode().put("type", "number").put("minimum", min).put("maximum", max);
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            return r.decimal(parent, name, path, min, max);
        }
    }

    /** A string out of a fixed set (wire form as written here). */
    record Enum(String name, List<String> values, String defaultString, String description) implements Field {
        public Enum {
            values = List.copyOf(values);
        }

        public JsonNode defaultValue() {
            return defaultString == null ? null : F.textNode(defaultString);
        }

        public ObjectNode schema() {
            ObjectNode s = F.objectNode().put("type", "string");
            values.forEach(s.putArray("enum")::add);
            return s;
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            String v = r.string(parent, name, path, false);
            if (v != null && !values.contains(v)) {
                r.fail(TreeReader.child(path, name), "must be one of " + String.join(", ", values) + ", got '" + v
                        + "'");
                return null;
            }
            return v;
        }
    }

    /**
     * A list of strings. {@code item} is the schema of one element (enum, pattern, maxLength); {@code check} the
     * service's own check of one element, which may be stricter than the schema or word the problem better.
     */
    record StringList(String name, int minItems, ObjectNode item, Check check, List<String> defaultList,
            String minItemsProblem, String description) implements Field {
        public JsonNode defaultValue() {
            return defaultList == null ? null : TREES.valueToTree(defaultList);
        }

        public ObjectNode schema() {
            ObjectNode s = F.objectNode().put("type", "array");
            if (minItems > 0) {
                s.put("minItems", minItems);
            }
            s.set("items", item.deepCopy());
            return s;
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            List<String> list = r.strings(parent, name, path);
            if (list == null) {
                return null;
            }
            String p = TreeReader.child(path, name);
            if (list.size() < minItems) {
                r.fail(p, minItemsProblem);
            }
            for (int i = 0; i < list.size(); i++) {
                String problem = check.apply(list.get(i));
                if (problem != null) {
                    r.fail(p + "/" + i, problem);
                }
            }
            return list;
        }
    }

    /** A map of label-like keys to strings, checked as Kubernetes labels. */
    record Labels(String name, int minProperties, String minPropertiesProblem, Map<String, String> defaultMap,
            String description) implements Field {
        public JsonNode defaultValue() {
            return defaultMap == null ? null : TREES.valueToTree(new java.util.TreeMap<>(defaultMap));
        }

        public ObjectNode schema() {
            ObjectNode s = F.objectNode().put("type", "object");
            if (minProperties > 0) {
                s.put("minProperties", minProperties);
            }
            s.putObject("additionalProperties").put("type", "string").put("maxLength", 63);
            return s;
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            Map<String, String> map = r.stringMap(parent, name, path);
            if (map == null) {
                return null;
            }
            String p = TreeReader.child(path, name);
            if (map.size() < minProperties) {
                r.fail(p, minPropertiesProblem);
            } else {
                PolicyCodec.checkLabels(r, map, p);
            }
            return map;
        }
    }

    /** A Kubernetes quantity, as a string or a number (YAML turns {@code cpu: 1} into a number). */
    record QuantityValue(String name, String description) implements Field {
        /** The apimachinery quantity grammar, as the CRD checks it. */
        public static final String PATTERN = "^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE]"
                + "(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

        public JsonNode defaultValue() {
            return null;
        }

        public ObjectNode schema() {
            ObjectNode s = F.objectNode();
            ArrayNode any = s.putArray("anyOf");
            any.addObject().put("type", "integer");
            any.addObject().put("type", "string");
            s.put("pattern", PATTERN);
            s.put("x-kubernetes-int-or-string", true);
            return s;
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            JsonNode n = parent.get(name);
            String fp = TreeReader.child(path, name);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isTextual() && !n.isNumber()) {
                r.fail(fp, "must be a Kubernetes quantity such as 100m or 128Mi, got " + TreeReader.describe(n));
                return null;
            }
            String text;
            if (n.isTextual()) {
                text = n.textValue();
            } else {
                // Bounded before toPlainString: the plain form of 1e1000000 is a megabyte of digits.
                BigDecimal d = n.decimalValue();
                String problem = Numbers.checkDecimal(d);
                if (problem != null) {
                    r.fail(fp, problem);
                    return null;
                }
                text = d.toPlainString();
            }
            try {
                BigDecimal amount = Numbers.quantity(text);
                if (amount.signum() < 0) {
                    r.fail(fp, "must not be negative, got '" + text + "'");
                    return null;
                }
                return text;
            } catch (IllegalArgumentException e) {
                r.fail(fp, e.getMessage());
                return null;
            }
        }
    }

    /** A nested object with its own shape; the value is its {@link Shape.Values}. */
    record Nested(String name, Shape shape, String description) implements Field {
        public JsonNode defaultValue() {
            return null;
        }

        public ObjectNode schema() {
            return shape.schema(false);
        }

        public Object read(TreeReader r, JsonNode parent, String path) {
            JsonNode n = parent.get(name);
            if (n == null || n.isNull()) {
                return null;
            }
            return shape.read(r, n, TreeReader.child(path, name));
        }
    }

    /** Schema of one string element by pattern. */
    static ObjectNode stringItem(String pattern, Integer maxLength) {
        ObjectNode s = F.objectNode().put("type", "string");
        if (maxLength != null) {
            s.put("maxLength", maxLength);
        }
        if (pattern != null) {
            s.put("pattern", pattern);
        }
        return s;
    }

    /** Schema of one string element out of a fixed set. */
    static ObjectNode enumItem(List<String> values) {
        ObjectNode s = F.objectNode().put("type", "string");
        ArrayNode e = s.putArray("enum");
        new ArrayList<>(values).forEach(e::add);
        return s;
    }
}

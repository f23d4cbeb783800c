package io.meshwarden.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a document against a CRD's OpenAPI v3 schema the way the API server would for the keywords used in
 * {@code k8s/base/crd-meshpolicies.yaml}. Not a general validator: a schema keyword it does not know makes it throw,
 * so that adding one to the CRD cannot make the tests pass by being ignored. CEL rules
 * ({@code x-kubernetes-validations}), {@code format} and the list-type markers (used by the status, which documents
 * never carry) are not evaluated.
 */
final class SchemaWalker {
    private static final Set<String> KNOWN = Set.of("type", "required", "enum", "properties", "additionalProperties",
            "items", "minimum", "maximum", "pattern", "maxLength", "minItems", "minProperties", "default",
            "description", "anyOf", "x-kubernetes-int-or-string", "x-kubernetes-validations", "format",
            "x-kubernetes-list-type", "x-kubernetes-list-map-keys");

    private SchemaWalker() {
    }

    /** Every violation, each as "path: reason"; empty when the document is valid. */
    static List<String> validate(JsonNode schema, JsonNode doc) {
        List<String> errors = new ArrayList<>();
        walk(schema, doc, "", errors);
        return errors;
    }

    /**
     * The API server only accepts structural schemas: every node states a type, except int-or-string ones, which
     * carry exactly the anyOf integer/string pair. Returns the nodes that break that.
     */
    static List<String> structuralProblems(JsonNode schema) {
        List<String> problems = new ArrayList<>();
        structural(schema, "", problems);
        return problems;
    }

    private static void structural(JsonNode s, String path, List<String> problems) {
        Iterator<String> keys = s.fieldNames();
        while (keys.hasNext()) {
            String k = keys.next();
            if (!KNOWN.contains(k)) {
                problems.add(path + ": keyword '" + k + "' is not understood by the test's schema walker");
            }
        }
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (s.has("type") || !s.path("anyOf").isArray() || s.path("anyOf").size() != 2) {
                problems.add(path + ": int-or-string must have no type and anyOf [integer, string]");
            }
        } else if (!s.path("type").isTextual()) {
            problems.add(path + ": no type");
        } else if (s.has("anyOf")) {
            problems.add(path + ": anyOf is only expected on int-or-string fields");
        }
        for (Map.Entry<String, JsonNode> p : iterable(s.path("properties").fields())) {
            structural(p.getValue(), path + "/" + p.getKey(), problems);
        }
        if (s.path("additionalProperties").isObject()) {
            structural(s.get("additionalProperties"), path + "/*", problems);
        }
        if (s.path("items").isObject()) {
            structural(s.get("items"), path + "/[]", problems);
        }
    }

    private static void walk(JsonNode s, JsonNode n, String path, List<String> errors) {
        for (Iterator<String> keys = s.fieldNames(); keys.hasNext();) {
            String k = keys.next();
            if (!KNOWN.contains(k)) {
                throw new IllegalStateException(path + ": schema keyword '" + k + "' is not supported by this walker");
            }
        }
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!n.isIntegralNumber() && !n.isTextual()) {
                errors.add(path + ": must be an integer or a string, got " + n.getNodeType());
                return;
            }
        } else if (!hasType(s.path("type").asText(""), n)) {
            errors.add(path + ": must be of type " + s.path("type").asText("?") + ", got " + n.getNodeType());
            return;
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode allowed : s.get("enum")) {
                if (allowed.equals(n)) {
                    found = true;
                }
            }
            if (!found) {
                errors.add(path + ": must be one of " + s.get("enum") + ", got " + n);
            }
        }
        if (n.isNumber()) {
            BigDecimal v = n.decimalValue();
            if (s.has("minimum") && v.compareTo(s.get("minimum").decimalValue()) < 0) {
                errors.add(path + ": must be >= " + s.get("minimum") + ", got " + n);
            }
            if (s.has("maximum") && v.compareTo(s.get("maximum").decimalValue()) > 0) {
                errors.add(path + ": must be <= " + s.get("maximum") + ", got " + n);
            }
        }
        if (n.isTextual()) {
            String text = n.textValue();
            // OpenAPI patterns are unanchored ECMA regexes, hence find(); the CRD anchors its own.
            if (s.has("pattern") && !Pattern.compile(s.get("pattern").asText()).matcher(text).find()) {
                errors.add(path + ": must match " + s.get("pattern").asText() + ", got '" + text + "'");
            }
            if (s.has("maxLength") && text.codePointCount(0, text.length()) > s.get("maxLength").asInt()) {
                errors.add(path + ": must be at most " + s.get("maxLength") + " characters");
            }
        }
        if (n.isArray()) {
            if (s.has("minItems") && n.size() < s.get("minItems").asInt()) {
                errors.add(path + ": must have at least " + s.get("minItems") + " items");
            }
            if (s.path("items").isObject()) {
                for (int i = 0; i < n.size(); i++) {
                    walk(s.get("items"), n.get(i), path + "/" + i, errors);
                }
            }
        }
        if (n.isObject()) {
            walkObject(s, n, path, errors);
        }
    }

    private static void walkObject(JsonNode s, JsonNode n, String path, List<String> errors) {
        if (s.has("minProperties") && n.size() < s.get("minProperties").asInt()) {
            errors.add(path + ": must have at least " + s.get("minProperties") + " fields");
        }
        for (JsonNode r : s.path("required")) {
            JsonNode v = n.get(r.asText());
            if (v == null || v.isNull()) {
                errors.add(path + "/" + r.asText() + ": is required");
            }
        }
        JsonNode props = s.get("properties");
        JsonNode additional = s.get("additionalProperties");
        if (props == null && additional == null) {
            // Free-form only where the CRD says nothing at all (metadata, whose fields the API server checks).
            return;
        }
        for (Map.Entry<String, JsonNode> f : iterable(n.fields())) {
            String fp = path + "/" + f.getKey();
            if (f.getValue().isNull()) {
                // The API server drops nulls of non-nullable fields before validation.
                continue;
            }
            if (props != null && props.has(f.getKey())) {
                walk(props.get(f.getKey()), f.getValue(), fp, errors);
            } else if (additional != null && additional.isObject()) {
                walk(additional, f.getValue(), fp, errors);
            } else {
                errors.add(fp + ": unknown field");
            }
        }
    }

    private static boolean hasType(String type, JsonNode n) {
        switch (type) {
            case "object":
                return n.isObject();
            case "array":
                return n.isArray();
            case "string":
                return n.isTextual();
            case "integer":
                return n.isIntegralNumber();
            case "number":
                return n.isNumber();
            case "boolean":
                return n.isBoolean();
            default:
                throw new IllegalStateException("unsupported schema type '" + type + "'");
        }
    }

    private static <T> Iterable<T> iterable(Iterator<T> it) {
        return () -> it;
    }
}

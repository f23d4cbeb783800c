package io.meshwarden.policies.istiohygiene;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policy.DocumentSyntaxException;
import io.meshwarden.policy.Documents;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code proxy.istio.io/config} against the ProxyConfig message as Istio reads it: YAML turned into JSON, then
 * golang/protobuf's jsonpb (protomarshal.ApplyYAML). jsonpb takes a field by its JSON or its proto name; an unknown
 * field fails the first pass and Istio retries with unknown fields allowed, so a misspelled field is dropped without
 * a word. A wrong type fails both passes, and the injector then refuses the pod. Only field names and JSON types are
 * checked here; Istio's own semantic checks of the values (drain duration, addresses) stay with Istio.
 */
final class ProxyConfigCheck {
    /** Enough to act on; a hostile annotation cannot make the finding large. */
    static final int MAX_PROBLEMS = 10;

    /** Go's time.ParseDuration: "0", or signed decimal numbers each with a unit. */
    private static final Pattern DURATION = Pattern.compile(
            "[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)");
    private static final BigInteger INT32_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
    private static final BigInteger INT32_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
    private static final BigInteger UINT32_MAX = BigInteger.valueOf(0xFFFFFFFFL);
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * @param unknownOnly every problem is one Istio accepts without a word (an unknown field, which it drops; a key
     *                    that stands twice, of which it keeps the last); otherwise the injector refuses the annotation
     */
    record Result(List<String> problems, boolean unknownOnly, int more) {
        boolean ok() {
            return problems.isEmpty();
        }
    }

    private final List<String> problems = new ArrayList<>();
    private boolean typeError;
    private int more;

    private ProxyConfigCheck() {
    }

    static Result check(String text) {
        ProxyConfigCheck c = new ProxyConfigCheck();
        JsonNode doc;
        try {
            // The project's bounded parser: size, depth, aliases and duplicate keys are refused, not expanded.
            List<Documents.Located> docs = Documents.parseAll(Documents.utf8(text), true);
            doc = docs.isEmpty() ? null : docs.get(0).node();
        } catch (DocumentSyntaxException e) {
            if (e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("duplicate")) {
                // Istio's YAML reader takes a repeated key (the last one wins); Meshwarden's parser refuses it, so
                // nothing else can be judged here, and it is not a reason for the injector to refuse the pod.
                return new Result(List.of("a key stands twice (line " + e.line() + "), and Istio keeps only the "
                        + "last value: " + e.getMessage()), true, 0);
            }
            return new Result(List.of("not valid YAML (line " + e.line() + "): " + e.getMessage()), false, 0);
        }
        if (doc != null && !doc.isNull()) {
            c.message(doc, IstioDefinitions.MESSAGES.get(IstioDefinitions.PROXY_CONFIG), "");
        }
        return new Result(List.copyOf(c.problems), !c.typeError, c.more);
    }

    private void problem(String path, String text, boolean type) {
        typeError |= type;
        if (problems.size() < MAX_PROBLEMS) {
            problems.add((path.isEmpty() ? "" : path + ": ") + text);
        } else {
            more++;
        }
    }

    private void message(JsonNode n, IstioDefinitions.MessageDef def, String path) {
        if (!n.isObject()) {
            problem(path, "must be a mapping of " + simpleName(def.name()) + " fields, got " + kind(n), true);
            return;
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            IstioDefinitions.FieldDef f = def.field(e.getKey());
            if (f == null) {
                // Beyond the problems a finding shows, no suggestion is computed: a flood of keys costs a scan only.
                String near = problems.size() < MAX_PROBLEMS
                        ? IstioDefinitions.closest(e.getKey(), def.byJson().keySet()) : null;
                problem(p, "unknown field of " + simpleName(def.name())
                        + (near != null ? "; did you mean " + near + "?" : ""), false);
                continue;
            }
            value(e.getValue(), f.type(), p);
        }
    }

    private void value(JsonNode n, String type, String path) {
        if (n.isNull()) {
            return; // jsonpb leaves a null field unset
        }
        if (type.startsWith("list:")) {
            if (!n.isArray()) {
                problem(path, "must be a list, got " + kind(n), true);
                return;
            }
            for (int i = 0; i < n.size(); i++) {
                JsonNode item = n.get(i);
                if (item.isNull()) {
                    problem(path + "[" + i + "]", "must not be null", true);
                } else {
                    value(item, type.substring(5), path + "[" + i + "]");
                }
            }
            return;
        }
        if (type.startsWith("map:")) {
            if (!n.isObject()) {
                problem(path, "must be a mapping, got " + kind(n), true);
                return;
            }
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                String p = path + "." + e.getKey();
                if (e.getValue().isNull()) {
                    problem(p, "must not be null", true);
                } else {
                    value(e.getValue(), type.substring(4), p);
                }
            }
            return;
        }
        if (type.startsWith("message:")) {
            message(n, IstioDefinitions.MESSAGES.get(type.substring(8)), path);
            return;
        }
        if (type.startsWith("enum:")) {
            enumValue(n, List.of(type.substring(5).split("\\|")), path);
            return;
        }
        String problem = switch (type) {
            case "bool" -> n.isBoolean() ? null : "must be true or false";
            case "string", "bytes", "timestamp" -> n.isTextual() ? null : "must be a string";
            case "duration" -> duration(n);
            case "int32" -> integer(n, INT32_MIN, INT32_MAX);
            case "uint32" -> integer(n, BigInteger.ZERO, UINT32_MAX);
            case "int64" -> integer(n, INT64_MIN, INT64_MAX);
            case "uint64" -> integer(n, BigInteger.ZERO, UINT64_MAX);
            case "double" -> decimal(n);
            case "struct", "any" -> n.isObject() ? null : "must be a mapping";
            case "list" -> n.isArray() ? null : "must be a list";
            case "value" -> null;
            default -> throw new IllegalStateException("unknown type in the generated definitions: " + type);
        };
        if (problem != null) {
            problem(path, problem + ", got " + kind(n), true);
        }
    }

    private void enumValue(JsonNode n, List<String> names, String path) {
        if (n.isTextual()) {
            if (!names.contains(n.textValue())) {
                String near = IstioDefinitions.closest(n.textValue(), names);
                problem(path, "must be one of " + String.join(", ", names) + ", got '" + n.textValue() + "'"
                        + (near != null ? "; did you mean " + near + "?" : ""), true);
            }
        } else if (!n.isIntegralNumber() || integer(n, INT32_MIN, INT32_MAX) != null) {
            problem(path, "must be one of " + String.join(", ", names) + ", got " + kind(n), true);
        }
    }

    /** jsonpb's Duration: a JSON string in Go's time.ParseDuration form; a bare number is refused. */
    private static String duration(JsonNode n) {
        if (!n.isTextual()) {
            return "must be a duration string such as \"5s\" or \"1m30s\"";
        }
        return DURATION.matcher(n.textValue()).matches() ? null
                : "must be a duration such as 5s or 1m30s, got '" + n.textValue() + "'";
    }

    /** jsonpb's integers: a JSON number, or (legacy) the same in quotes; no fraction, within the type's range. */
    private static String integer(JsonNode n, BigInteger min, BigInteger max) {
        BigInteger v = null;
        if (n.isIntegralNumber()) {
            v = n.bigIntegerValue();
        } else if (n.isTextual() && n.textValue().matches("-?(0|[1-9][0-9]{0,19})")) {
            v = new BigInteger(n.textValue());
        }
        if (v == null) {
            return "must be a whole number";
        }
        return v.compareTo(min) < 0 || v.compareTo(max) > 0 ? "must be between " + min + " and " + max : null;
    }

    private static String decimal(JsonNode n) {
        if (n.isNumber()) {
            return null;
        }
        if (n.isTextual()) {
            String t = n.textValue();
            if (t.equals("NaN") || t.equals("Infinity") || t.equals("-Infinity")
                    || t.matches("-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?")) {
                return null;
            }
        }
        return "must be a number";
    }

    private static String kind(JsonNode n) {
        if (n.isTextual()) {
            String t = n.textValue();
            return "the string '" + (t.length() > 40 ? t.substring(0, 40) + "..." : t) + "'";
        }
        if (n.isNumber()) {
            // Bounded by the parser's number length; a decimal keeps its exponent instead of expanding.
            return "the number " + (n.isBigDecimal() ? n.decimalValue().toString() : n.asText());
        }
        if (n.isBoolean()) {
            return n.asText();
        }
        if (n.isArray()) {
            return "a list";
        }
        return n.isObject() ? "a mapping" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    private static String simpleName(String fullName) {
        return fullName.substring(fullName.lastIndexOf('.') + 1);
    }
}

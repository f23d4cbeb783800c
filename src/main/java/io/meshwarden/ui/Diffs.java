package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;
import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.enforce.Change;
import io.meshwarden.policy.Documents;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A change's body as lines a person reads as a diff: a merge patch flattened to one line per field it sets
 * ({@code +}) or removes ({@code -}, a JSON merge patch's null), a new object as added lines, a deletion as one
 * removed line.
 */
final class Diffs {
    /** @param sign "+", "-" or " "; @param css add, del or ctx */
    @TemplateData
    public record Line(String sign, String text, String css) {
    }

    private Diffs() {
    }

    static List<Line> of(String action, JsonNode body) {
        List<Line> out = new ArrayList<>();
        if (Change.DELETE.equals(action)) {
            out.add(new Line("-", "the whole object (created by Meshwarden)", "del"));
            return out;
        }
        if (Change.CREATE.equals(action)) {
            for (String l : Documents.toYaml(body).split("\n")) {
                out.add(new Line("+", l, "add"));
            }
            return out;
        }
        flatten("", body, out);
        if (out.isEmpty()) {
            out.add(new Line(" ", "(no field)", "ctx"));
        }
        return out;
    }

    private static void flatten(String prefix, JsonNode node, List<Line> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String path = prefix.isEmpty() ? key(f.getKey()) : prefix + "." + key(f.getKey());
            JsonNode v = f.getValue();
            if (v.isObject() && v.size() > 0) {
                flatten(path, v, out);
            } else if (v.isNull()) {
                out.add(new Line("-", path, "del"));
            } else {
                out.add(new Line("+", path + ": " + (v.isTextual() ? v.asText() : v.toString()), "add"));
            }
        }
    }

    /** Keys with dots (annotations, labels) are quoted so the path stays readable. */
    private static String key(String k) {
        return k.contains(".") || k.contains(" ") ? "\"" + k + "\"" : k;
    }
}

package io.meshwarden.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.policy.Documents;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Generates hostile and broken policy documents from a seed corpus (src/test/resources/fuzz-seeds): structural
 * mutations of valid documents (wrong types, unknown fields, out-of-range numbers, bad quantities and names,
 * removed required fields) and byte-level damage (truncation, duplicate keys, binary, deep nesting, aliases).
 * Deterministic for a seed, so a failure can be replayed.
 */
public final class MalformedPolicies {
    public static final List<String> SEEDS = List.of("control-plane.yaml", "workloads.yaml", "ingress.yaml",
            "all-fields.yaml", "ha-helm-release.json");

    /** One generated input: its bytes, whether they are YAML, and what was done to them (for failure messages). */
    public record Case(byte[] body, boolean yaml, String description) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<JsonNode> HOSTILE_VALUES = List.of(F.textNode(""), F.textNode("-1"),
            F.textNode("lots"), F.textNode("1.5.5Gi"), F.textNode("Ünïcödé"), F.textNode("x".repeat(300)),
            F.numberNode(-1), F.numberNode(0), F.numberNode(Long.MAX_VALUE), F.numberNode(1e308),
            F.numberNode(2.5), F.booleanNode(true), F.nullNode(), F.arrayNode(), F.objectNode(),
            F.arrayNode().add(1).add("two"), F.textNode("Deployment;rm -rf /"), F.textNode("../../etc/passwd"));

    private MalformedPolicies() {
    }

    public static List<JsonNode> seeds() {
        List<JsonNode> out = new ArrayList<>();
        for (String name : SEEDS) {
            try (InputStream in = MalformedPolicies.class.getResourceAsStream("/fuzz-seeds/" + name)) {
                for (Documents.Located d : Documents.parseAll(in.readAllBytes(), !name.endsWith(".json"))) {
                    out.add(d.node());
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    public static List<Case> generate(int count, long seed) {
        Random r = new Random(seed);
        List<JsonNode> seeds = seeds();
        List<Case> out = new ArrayList<>(count);
        while (out.size() < count) {
            JsonNode base = seeds.get(r.nextInt(seeds.size())).deepCopy();
            int kind = r.nextInt(10);
            if (kind < 7) {
                String what = mutate((ObjectNode) base, r, 1 + r.nextInt(3));
                boolean yaml = r.nextBoolean();
                String text = yaml ? Documents.toYaml(base) : Documents.toJson(base);
                out.add(new Case(text.getBytes(StandardCharsets.UTF_8), yaml, what));
            } else {
                out.add(damage(base, r));
            }
        }
        return out;
    }

    /** Applies n structural mutations at random paths; returns a description. */
    private static String mutate(ObjectNode root, Random r, int n) {
        StringBuilder what = new StringBuilder();
        for (int i = 0; i < n; i++) {
            List<String> paths = new ArrayList<>();
            collect(root, "", paths);
            String path = paths.get(r.nextInt(paths.size()));
            int op = r.nextInt(4);
            int slash = path.lastIndexOf('/');
            JsonNode parent = slash <= 0 ? root : root.at(path.substring(0, slash));
            String field = path.substring(slash + 1);
            if (op == 0 && parent.isObject()) {
                ((ObjectNode) parent).remove(field);
                what.append("remove ").append(path).append("; ");
            } else if (op == 1 && parent.isObject()) {
                ((ObjectNode) parent).put("unexpected" + r.nextInt(100), "x");
                what.append("unknown field under ").append(path.substring(0, Math.max(0, slash))).append("; ");
            } else {
                JsonNode v = HOSTILE_VALUES.get(r.nextInt(HOSTILE_VALUES.size()));
                if (parent.isObject()) {
                    ((ObjectNode) parent).set(field, v.deepCopy());
                } else if (parent.isArray()) {
                    ((ArrayNode) parent).set(Integer.parseInt(field), v.deepCopy());
                }
                what.append("set ").append(path).append(" = ").append(v).append("; ");
            }
        }
        return what.toString();
    }

    private static void collect(JsonNode node, String path, List<String> out) {
        if (node.isObject()) {
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String n = names.next();
                String p = path + "/" + n;
                out.add(p);
                collect(node.get(n), p, out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = path + "/" + i;
                out.add(p);
                collect(node.get(i), p, out);
            }
        }
    }

    private static Case damage(JsonNode base, Random r) {
        String yaml = Documents.toYaml(base);
        String json = Documents.toJson(base);
        switch (r.nextInt(8)) {
            case 0: {
                int cut = 1 + r.nextInt(json.length() - 2);
                return new Case(bytes(json.substring(0, cut)), false, "JSON truncated at " + cut);
            }
            case 1:
                return new Case(bytes(json.replaceFirst("\\{", "{\"kind\":\"MeshPolicy\",")), false,
                        "duplicate key kind");
            case 2: {
                byte[] b = new byte[1 + r.nextInt(200)];
                r.nextBytes(b);
                return new Case(b, r.nextBoolean(), "random bytes");
            }
            case 3:
                return new Case(bytes("a: " + "[".repeat(100 + r.nextInt(400))), true, "deep YAML nesting");
            case 4:
                return new Case(bytes("x: &a [1,2]\ny: *a\n" + yaml), true, "aliases and extra fields");
            case 5:
                return new Case(bytes(yaml + "---\n" + yaml), true, "two documents in one body");
            case 6:
                return new Case(bytes(yaml.replace(":", " :: ")), true, "broken YAML syntax");
            default:
                return new Case(bytes("!!java.net.URL [\"http://127.0.0.1:1/\"]\n"), true, "YAML type tag");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

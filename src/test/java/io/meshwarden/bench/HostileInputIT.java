package io.meshwarden.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.testing.PackagedArtifact;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: hostile requests against the packaged application under the JVM options of k8s/base/deployment.yaml
 * (-Xmx64m, ExitOnOutOfMemoryError). Every request: no 5xx, an answer under {@value #MAX_ANSWER_BYTES} bytes, under
 * a second of the process' CPU; afterwards the same process (no restart) and the store as it was, every file valid.
 * Over 1,000 distinct inputs: each finding's classes hand-made ({@link #inputs}) and generated over their
 * parameters ({@link #generated}), plus nesting, anchors and aliases, duplicate keys, control characters, huge
 * headers and URLs, and malformed or truncated requests sent over a raw socket. It prints the inputs per class,
 * the statuses, the largest answer and the most CPU one request cost (BENCHMARKS.md publishes them).
 */
class HostileInputIT {
    static final int MAX_ANSWER_BYTES = 64 * 1024;
    static final long MAX_CPU_MILLIS = 1000;

    @TempDir
    Path work;

    /** One request; {@code cls} is the class it counts under in BENCHMARKS.md. Method RAW: body is the raw bytes. */
    record Input(String cls, String label, String method, String path, List<String> headers, byte[] body) {
        Input(String label, String method, String path, List<String> headers, byte[] body) {
            this(classOf(label), label, method, path, headers, body);
        }
    }

    /** The class of a hand-made input, from its label's first words. */
    static String classOf(String label) {
        for (String[] c : new String[][] {{"empty exemptions", "violations"}, {"yaml empty exemptions", "violations"},
            {"bad namespaces", "violations"}, {"flood", "violations"}, {"name of", "names"}, {"get name", "names"},
            {"content-type", "content types"}, {"limit", "paging"}, {"offset", "paging"}, {"if-match", "if-match"},
            {"json depth", "nesting"}, {"yaml depth", "nesting"}, {"object depth", "nesting"}, {"depth", "nesting"},
            {"billion laughs", "anchors"}, {"merge key", "anchors"}, {"alias", "anchors"},
            {"json duplicate", "duplicate keys"}, {"yaml duplicate", "duplicate keys"}, {"duplicate", "duplicate keys"},
            {"control char", "control characters"}, {"raw control char", "control characters"},
            {"made-up", "made-up paths"}, {"long url", "huge urls"}, {"url", "huge urls"},
            {"header", "huge headers"}, {"raw", "malformed requests"}}) {
            if (label.startsWith(c[0])) {
                return c[1];
            }
        }
        return "numbers";
    }

    static List<String> k8sJvmOptions() throws Exception {
        String deployment = Files.readString(Path.of("k8s/base/deployment.yaml"));
        Matcher m = Pattern.compile("name: JAVA_OPTS_APPEND\\s+value: \"([^\"]+)\"").matcher(deployment);
        assertTrue(m.find(), "JAVA_OPTS_APPEND in k8s/base/deployment.yaml");
        return List.of(m.group(1).replace("-Djava.io.tmpdir=/tmp", "").trim().split("\\s+"));
    }

    static String policy(String name, String type, String params, String exemptions) {
        return "{\"apiVersion\":\"meshwarden.io/v1alpha1\",\"kind\":\"MeshPolicy\",\"metadata\":{\"name\":\"" + name
                + "\"},\"spec\":{\"type\":\"" + type + "\",\"exemptions\":" + exemptions + ",\"parameters\":"
                + params + "}}";
    }

    static Input post(String label, String contentType, String body) {
        return new Input(label, "POST", "/api/v1/policies", contentType == null ? List.of()
                : List.of("Content-Type", contentType), body.getBytes(StandardCharsets.UTF_8));
    }

    static List<Input> inputs() {
        List<Input> in = new ArrayList<>();
        // 1. violation floods
        for (int n : new int[] {1_000, 10_000, 30_000, 60_000}) {
            in.add(post("empty exemptions x" + n, "application/json", policy("flood-" + n, "TraceSampling", "{}",
                    "[" + "{},".repeat(n - 1) + "{}]")));
            in.add(post("yaml empty exemptions x" + n / 2, "application/yaml", "apiVersion: meshwarden.io/v1alpha1\n"
                    + "kind: MeshPolicy\nmetadata: {name: flood}\nspec:\n  type: TraceSampling\n  exemptions:\n"
                    + "  - {}\n".repeat(n / 2)));
            in.add(post("bad namespaces x" + n / 4, "application/json", policy("flood-ns", "TraceSampling", "{}",
                    "[]").replace("\"exemptions\":[]", "\"target\":{\"namespaces\":{\"include\":["
                    + "\"NOT_OK\",".repeat(n / 4 - 1) + "\"NOT_OK\"]}}")));
        }
        // 2, 3. huge and tiny numbers, as JSON numbers, YAML numbers and strings, in every number field
        String[] numbers = {"1e1000000", "1e30000000", "1E+999999999", "-1e1000000", "1e-999999999", "0e-1000000000",
            "1.0e+1000000", "123456789012345678901234567890", "9.99999999999999999999e99", "1e19", "1e-19",
            "0.0000000000000000001", "1" + "0".repeat(60)};
        for (String v : numbers) {
            for (String quoted : new String[] {v, "\"" + v + "\""}) {
                in.add(post("cpu " + quoted, "application/json", policy("num", "ProxySizing", "{\"requests\":{\"cpu\":"
                        + quoted + ",\"memory\":\"64Mi\"}}", "[]")));
                in.add(post("memory " + quoted, "application/json", policy("num", "ProxySizing",
                        "{\"requests\":{\"cpu\":\"1\",\"memory\":" + quoted + "}}", "[]")));
                in.add(post("cpu limit " + quoted, "application/json", policy("num", "ProxySizing",
                        "{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Mi\"},\"limits\":{\"cpu\":" + quoted + "}}", "[]")));
            }
            in.add(post("tolerance " + v, "application/json", policy("num", "ProxySizing",
                    "{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Mi\"},\"tolerance\":" + v + "}", "[]")));
            in.add(post("maxPercent " + v, "application/json", policy("num", "TraceSampling", "{\"maxPercent\":" + v
                    + "}", "[]")));
            in.add(post("minReplicas " + v, "application/json", policy("num", "HaMinimum", "{\"minReplicas\":" + v
                    + "}", "[]")));
            in.add(post("yaml cpu " + v, "application/yaml", "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                    + "metadata: {name: num}\nspec: {type: ProxySizing, parameters: {requests: {cpu: " + v
                    + ", memory: 64Mi}}}\n"));
            in.add(post("yaml maxPercent " + v, "application/yaml", "apiVersion: meshwarden.io/v1alpha1\n"
                    + "kind: MeshPolicy\nmetadata: {name: num}\nspec: {type: TraceSampling, parameters: {maxPercent: "
                    + v + "}}\n"));
        }
        // 4. long names (valid DNS-1123 up to 253, then too long)
        for (int len : new int[] {63, 200, 209, 230, 253, 254, 300, 1000, 20_000}) {
            StringBuilder name = new StringBuilder();
            while (name.length() < len) {
                name.append(name.length() % 64 == 63 ? '.' : 'a');
            }
            String n = name.toString().replaceAll("\\.$", "b");
            in.add(post("name of " + len, "application/json", policy(n, "TraceSampling", "{}", "[]")));
            in.add(new Input("get name of " + len, "GET", "/api/v1/policies/" + n, List.of(), null));
        }
        // 7. statuses: content types, paging, If-Match
        String ok = policy("ct", "TraceSampling", "{}", "[]");
        for (String ct : new String[] {null, "*/*", "application/*", "application/json; charset=ebcdic",
            "application/json;charset=latin1", "text/plain", "application/json, application/yaml", "x", ";;;",
            "application/json; charset=" + "a".repeat(5000)}) {
            in.add(new Input("content-type " + (ct == null ? "none" : ct.substring(0, Math.min(40, ct.length()))),
                    "POST", "/api/v1/policies/validate", ct == null ? List.of() : List.of("Content-Type", ct),
                    ok.getBytes(StandardCharsets.UTF_8)));
        }
        for (String v : new String[] {"abc", "1.5", "1e3", "99999999999", "-1", "0", "5001", "%00", "1" + "0".repeat(
                5000)}) {
            in.add(new Input("limit " + v.substring(0, Math.min(20, v.length())), "GET", "/api/v1/reports/latest?limit="
                    + v, List.of(), null));
            in.add(new Input("offset " + v.substring(0, Math.min(20, v.length())), "GET",
                    "/api/v1/reports/latest?offset=" + v, List.of(), null));
        }
        for (String tag : new String[] {"W/\"1\"", "\"x-1\"", "\"1\", \"2\"", "garbage", "\"", "*, \"1\"",
            "\"" + "9".repeat(5000) + "\""}) {
            in.add(new Input("if-match " + tag.substring(0, Math.min(20, tag.length())), "DELETE",
                    "/api/v1/policies/keep-one", List.of("If-Match", tag), null));
        }
        // nesting, anchors, duplicate keys, control characters
        for (int depth : new int[] {63, 64, 65, 1000, 50_000}) {
            in.add(post("json depth " + depth, "application/json", "[".repeat(depth) + "]".repeat(depth)));
            in.add(post("yaml depth " + depth, "application/yaml", "a: " + "[".repeat(depth) + "]".repeat(depth)));
            in.add(post("object depth " + depth, "application/json", "{\"a\":".repeat(depth) + "1"
                    + "}".repeat(depth)));
        }
        StringBuilder laughs = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 10; i++) {
            laughs.append("a").append(i).append(": &a").append(i).append(" [").append(("*a" + (i - 1) + ", ")
                    .repeat(9)).append("*a").append(i - 1).append("]\n");
        }
        in.add(post("billion laughs", "application/yaml", laughs.toString()));
        in.add(post("merge key bomb", "application/yaml", "a: &a {x: 1}\nb: {<<: [*a, *a, *a]}\n"));
        in.add(post("json duplicate keys", "application/json", "{\"kind\":\"MeshPolicy\",\"kind\":\"x\"}"));
        in.add(post("yaml duplicate keys", "application/yaml", "kind: MeshPolicy\nkind: x\n"));
        for (char c : new char[] {0, 1, 7, 8, 0x1b, 0x7f, 0x85, 0x202e, 0xfeff, 0xd800}) {
            String s = "bad" + c + "name";
            String escaped = s.chars().mapToObj(ch -> ch < 0x20 || ch > 0x7e ? String.format("\\u%04x", ch)
                    : String.valueOf((char) ch)).reduce("", String::concat);
            in.add(post("control char " + (int) c, "application/json", policy(escaped, "TraceSampling", "{}", "[]")));
            in.add(post("raw control char " + (int) c, "application/yaml", "apiVersion: meshwarden.io/v1alpha1\n"
                    + "kind: MeshPolicy\nmetadata: {name: \"x\", labels: {a: \"" + s + "\"}}\nspec: {type: HaMinimum}\n"));
        }
        // made-up paths, methods and tokens
        for (int i = 0; i < 150; i++) {
            in.add(new Input("made-up path " + i, i % 3 == 0 ? "OPTIONS" : "GET", "/api/v1/made-up-" + i, List.of(
                    "Authorization", "Bearer wrong-" + i), null));
        }
        in.add(new Input("long url", "GET", "/api/v1/policies/" + "a".repeat(10_000), List.of(), null));
        in.addAll(generated());
        return in;
    }

    /** Inputs generated over each class's parameters, beyond the hand-made ones above. */
    static List<Input> generated() {
        List<Input> in = new ArrayList<>();
        // 1. violation floods of every element shape, and unknown fields by the thousand
        String[] badExemptions = {"{}", "{\"namespace\":\"BAD_NS\"}", "{\"kind\":\"lower\"}", "1", "\"x\"", "null",
            "{\"name\":\"-\"}", "[]"};
        for (String e : badExemptions) {
            for (int n : new int[] {10, 100, 1_000, 5_000, 20_000}) {
                in.add(post("flood " + e + " x" + n, "application/json", policy("flood", "TraceSampling", "{}",
                        "[" + (e + ",").repeat(n - 1) + e + "]")));
            }
        }
        for (int n : new int[] {100, 1_000, 10_000}) {
            StringBuilder unknown = new StringBuilder("{");
            StringBuilder labels = new StringBuilder("{");
            for (int i = 0; i < n; i++) {
                unknown.append(i == 0 ? "" : ",").append("\"u").append(i).append("\":").append(i);
                labels.append(i == 0 ? "" : ",").append("\"BAD KEY ").append(i).append("\":\"v\"");
            }
            in.add(post("flood unknown parameters x" + n, "application/json", policy("flood", "HaMinimum",
                    unknown + "}", "[]")));
            in.add(post("flood bad labels x" + n, "application/json", policy("flood", "HaMinimum", "{}", "[]")
                    .replace("\"metadata\":{", "\"metadata\":{\"labels\":" + labels + "},")));
            in.add(post("flood bad selector labels x" + n, "application/json", policy("flood", "HaMinimum", "{}",
                    "[]").replace("\"exemptions\":[]", "\"target\":{\"selector\":{\"matchLabels\":" + labels
                    + "}}}")));
        }
        // 2, 3. numbers: mantissas times exponents, in quantities, percentages, decimals and integers
        String[] fields = {"cpu", "memory", "limitcpu", "tolerance", "maxPercent", "minReplicas"};
        for (String mantissa : new String[] {"1", "9.99", "0.5", "123456789", "-7"}) {
            for (String exp : new String[] {"19", "-19", "50", "-50", "400", "-400", "5000", "-5000", "1000000",
                "-1000000", "999999999", "-999999999"}) {
                String v = mantissa + "e" + exp;
                for (String f : fields) {
                    in.add(numberInput(f, v));
                }
            }
        }
        for (String v : new String[] {"0." + "0".repeat(30) + "1", "1" + "0".repeat(30), "1." + "9".repeat(40),
            "\"1" + "0".repeat(40) + "Ki\"", "\"1e19Ei\"", "\"9Ei\"", "\"8Ei\"", "\"0.000000000000000001m\"",
            "\"1" + "0".repeat(64) + "\"", "\"+1\"", "\"1e\"", "\"e5\"", "\"1.2.3\"", "\"NaN\"", "\"Infinity\"",
            "\"-0\"", "\"0x10\"", "\"1_000\"", "\"１\"", "true", "[]", "{}", "null"}) {
            for (String f : fields) {
                in.add(numberInput(f, v));
            }
        }
        // 4. names of every length around the limits, and near-valid names
        for (int len = 1; len <= 320; len += 7) {
            String n = "n".repeat(len);
            in.add(post("name of " + len + " (generated)", "application/json", policy(n, "TraceSampling", "{}",
                    "[]")));
            in.add(new Input("get name of " + len + " (generated)", "GET", "/api/v1/policies/" + n, List.of(),
                    null));
        }
        for (String n : new String[] {"UPPER", "under_score", "-lead", "trail-", ".dot", "dot.", "a..b", "a b",
            "a/b", "a%2Fb", "..", ".", "a\\\\b", "ünïcode", "a;b", "a?b", "a#b", "*", "a\\u0000b", "a\\tb"}) {
            in.add(post("name of odd '" + n + "'", "application/json", policy(n, "TraceSampling", "{}", "[]")));
        }
        // 5. truncated and malformed requests over a raw socket (the connection is closed after them)
        for (String raw : new String[] {"GET", "GET /", "GET /api/v1/policies HTTP/1.1\r\n",
            "GET /api/v1/policies HTTP/1.1\r\nHost: x\r\n", "POST /api/v1/policies HTTP/1.1\r\nHost: x\r\n"
            + "Content-Length: 100000\r\nContent-Type: application/json\r\n\r\n{\"a\":", "\r\n\r\n\r\n",
            "GARBAGE\r\n\r\n", "GET /api/v1/policies HTTP/9.9\r\nHost: x\r\n\r\n",
            "GET /api/v1/policies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "POST /api/v1/policies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            "GET /api/v1/policies HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
            "GET /api/v1/policies HTTP/1.1\r\nHost: x\r\n : empty name\r\n\r\n",
            "GET \u0000 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /api/v1/policies\u0007 HTTP/1.1\r\nHost: x\r\n\r\n"}) {
            in.add(new Input("malformed requests", "raw " + raw.replaceAll("[\\r\\n]", "|"), "RAW", "", List.of(),
                    raw.getBytes(StandardCharsets.ISO_8859_1)));
        }
        // 6. made-up paths of many shapes (tagged, if they were, under one UNKNOWN)
        String[] shapes = {"/api/v1/made-up-%d", "/api/v2/x%d", "/api/%d", "/api/v1/policies/%d/extra",
            "/api/v1/runs/%d/made-up", "/api/v1/reports/%d", "/api/v1/helm/%d", "/api/v1/policies/x/../%d",
            "/api/v1/%%2e%%2e/%d", "/api//v1//%d"};
        for (int i = 0; i < 30; i++) {
            for (String shape : shapes) {
                in.add(new Input("made-up paths", "made-up " + String.format(shape, i), i % 4 == 0 ? "OPTIONS"
                        : i % 4 == 1 ? "DELETE" : "GET", String.format(shape, i), i % 2 == 0 ? List.of()
                        : List.of("Authorization", "Bearer wrong-" + i), null));
            }
        }
        // 7. content types, paging and If-Match, generated
        String ok = policy("ct", "TraceSampling", "{}", "[]");
        for (String base : new String[] {"application/json", "application/yaml", "text/yaml", "application/x-yaml"}) {
            for (String param : new String[] {"", "; charset=utf-8", "; charset=UTF-16", "; charset=\"utf-8\"",
                "; charset=", "; q=0.5", "; boundary=x", ";charset=utf-8;charset=latin1"}) {
                in.add(new Input("content types", "content-type " + base + param, "POST", "/api/v1/policies/validate",
                        List.of("Content-Type", base + param), ok.getBytes(StandardCharsets.UTF_8)));
            }
        }
        for (String v : new String[] {"+1", "01", "0x10", "1e0", " 1", "1 ", "１", "2147483647", "2147483648",
            "-2147483648", "4999", "5000", "-0", "", "null", "true", "[1]", "1,2", "%20", "NaN"}) {
            in.add(new Input("paging", "limit '" + v + "'", "GET", "/api/v1/reports/latest?limit="
                    + java.net.URLEncoder.encode(v, StandardCharsets.UTF_8), List.of(), null));
            in.add(new Input("paging", "offset '" + v + "'", "GET", "/api/v1/reports/latest?offset="
                    + java.net.URLEncoder.encode(v, StandardCharsets.UTF_8) + "&limit=1", List.of(), null));
        }
        for (String tag : new String[] {"\"1\"", "\"0\"", "\"-1\"", "\"99999999999999999999\"", "W/\"x\"", "w/\"1\"",
            "\"1\",\"2\",\"3\"", "\"1\" \"2\"", "*,*", ",", ", ,", "\"a\"b\"", "\"\u007f\"", "\"\t\"", "\"\"",
            "\"1\", W/\"2\"", "\"" + "1".repeat(19) + "\"", "\"" + "1".repeat(20) + "\"", "W/"}) {
            in.add(new Input("if-match", "if-match delete " + tag, "DELETE", "/api/v1/policies/keep-two",
                    List.of("If-Match", tag), null));
            in.add(new Input("if-match", "if-match put " + tag, "PUT", "/api/v1/policies/keep-two",
                    List.of("If-Match", tag, "Content-Type", "application/json"), policy("keep-two", "HaMinimum",
                    "{}", "[]").getBytes(StandardCharsets.UTF_8)));
        }
        // nesting of every depth and mixture
        for (int depth : new int[] {10, 100, 500, 2_000, 10_000, 100_000}) {
            in.add(post("depth mixed json " + depth, "application/json", "{\"a\":[".repeat(depth) + "]}".repeat(
                    depth)));
            in.add(post("depth flow yaml " + depth, "application/yaml", "a: " + "{b: [".repeat(depth) + "]}".repeat(
                    depth)));
            in.add(post("depth block yaml " + Math.min(depth, 2_000), "application/yaml", blockYaml(Math.min(depth,
                    2_000))));
            in.add(post("depth in parameters " + depth, "application/json", policy("deep", "HaMinimum",
                    "{\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}", "[]")));
        }
        // anchors and aliases: widths and depths of the classic bomb, merge keys, recursive aliases
        for (int width = 2; width <= 10; width += 2) {
            for (int levels = 3; levels <= 12; levels += 3) {
                StringBuilder y = new StringBuilder("l0: &l0 [x]\n");
                for (int i = 1; i < levels; i++) {
                    y.append("l").append(i).append(": &l").append(i).append(" [").append(("*l" + (i - 1) + ",")
                            .repeat(width - 1)).append("*l").append(i - 1).append("]\n");
                }
                in.add(post("alias bomb " + width + "^" + levels, "application/yaml", y.toString()));
            }
        }
        in.add(post("alias recursive", "application/yaml", "a: &a [*a]\n"));
        in.add(post("alias undefined", "application/yaml", "a: *nothing\n"));
        in.add(post("alias merge chain", "application/yaml", "a: &a {x: 1}\nb: &b {<<: *a}\nc: {<<: [*a, *b]}\n"));
        in.add(post("alias in policy", "application/yaml", "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                + "metadata: &m {name: alias}\nspec: {type: HaMinimum, parameters: {components: &c [istiod]}}\n"
                + "x: [*m, *c]\n"));
        // duplicate keys at every level, both syntaxes
        String[] places = {"", "metadata", "spec", "parameters", "target"};
        for (String place : places) {
            for (String key : new String[] {"name", "type", "mode", "minReplicas", "kind", "namespaces"}) {
                String dup = "\"" + key + "\":1,\"" + key + "\":2";
                in.add(post("duplicate json " + key + " in " + (place.isEmpty() ? "root" : place),
                        "application/json", duplicateIn(place, dup)));
            }
        }
        for (String y : new String[] {"a: 1\na: 2\n", "? a\n: 1\n? a\n: 2\n", "{a: 1, a: 2}\n", "a: {b: 1, b: 1}\n",
            "<<: {a: 1}\na: 2\n", "1: a\n1.0: b\n", "true: a\nTrue: b\n", "\"a\": 1\na: 2\n", "a: 1\n'a': 2\n",
            "null: 1\n~: 2\n"}) {
            in.add(post("duplicate yaml " + y.replace("\n", "|"), "application/yaml", y));
        }
        // control characters in every string position
        for (int c = 0; c < 0x20; c++) {
            String esc = String.format("\\u%04x", c);
            in.add(post("control char in label value " + c, "application/json", policy("ctl", "HaMinimum", "{}",
                    "[]").replace("\"metadata\":{", "\"metadata\":{\"labels\":{\"a\":\"x" + esc + "\"},")));
            in.add(post("control char in type " + c, "application/json", policy("ctl", "Ha" + esc + "Minimum", "{}",
                    "[]")));
            in.add(new Input("control characters", "control char in query " + c, "GET", "/api/v1/policies?type="
                    + String.format("%%%02X", c), List.of(), null));
        }
        // huge headers and URLs
        for (int size : new int[] {1_000, 4_000, 8_000, 16_000, 64_000, 256_000}) {
            in.add(new Input("huge headers", "header value " + size, "GET", "/api/v1/policies",
                    List.of("X-Big", "v".repeat(size)), null));
            in.add(new Input("huge headers", "header authorization " + size, "GET", "/api/v1/policies",
                    List.of("Authorization", "Bearer " + "t".repeat(size)), null));
            in.add(new Input("huge headers", "header if-match " + size, "DELETE", "/api/v1/policies/keep-one",
                    List.of("If-Match", "\"" + "1".repeat(size) + "\""), null));
            in.add(new Input("huge urls", "url path " + size, "GET", "/api/v1/policies/" + "p".repeat(size), List.of(),
                    null));
            in.add(new Input("huge urls", "url query " + size, "GET", "/api/v1/policies?labelSelector=" + "q".repeat(
                    size), List.of(), null));
            in.add(new Input("huge urls", "url made-up " + size, "GET", "/api/" + "m".repeat(size), List.of(), null));
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < size / 20; i++) {
                many.append("X-H").append(i).append(": v\r\n");
            }
            in.add(new Input("huge headers", "raw many headers " + size / 20, "RAW", "", List.of(),
                    ("GET /api/v1/policies HTTP/1.1\r\nHost: x\r\n" + many + "\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1)));
        }
        return in;
    }

    private static Input numberInput(String field, String v) {
        String req = "{\"cpu\":\"1\",\"memory\":\"1Mi\"}";
        String params = switch (field) {
            case "cpu" -> "{\"requests\":{\"cpu\":" + v + ",\"memory\":\"64Mi\"}}";
            case "memory" -> "{\"requests\":{\"cpu\":\"1\",\"memory\":" + (v.startsWith("\"") ? v : "\"" + v + "\"")
                    + "}}";
            case "limitcpu" -> "{\"requests\":" + req + ",\"limits\":{\"cpu\":" + v + "}}";
            case "tolerance" -> "{\"requests\":" + req + ",\"tolerance\":" + v + "}";
            case "maxPercent" -> "{\"maxPercent\":" + v + "}";
            default -> "{\"minReplicas\":" + v + "}";
        };
        String type = field.equals("maxPercent") ? "TraceSampling" : field.equals("minReplicas") ? "HaMinimum"
                : "ProxySizing";
        return new Input("numbers", field + " " + v, "POST", "/api/v1/policies/validate", List.of("Content-Type",
                "application/json"), policy("num", type, params, "[]").getBytes(StandardCharsets.UTF_8));
    }

    private static String blockYaml(int depth) {
        StringBuilder y = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            y.append("  ".repeat(i)).append("k:\n");
        }
        return y.append("  ".repeat(depth)).append("v\n").toString();
    }

    private static String duplicateIn(String place, String dup) {
        String p = policy("dup", "HaMinimum", "{}", "[]");
        return switch (place) {
            case "metadata" -> p.replace("\"metadata\":{", "\"metadata\":{" + dup + ",");
            case "spec" -> p.replace("\"spec\":{", "\"spec\":{" + dup + ",");
            case "parameters" -> p.replace("\"parameters\":{}", "\"parameters\":{" + dup + "}");
            case "target" -> p.replace("\"exemptions\":[]", "\"exemptions\":[],\"target\":{" + dup + "}");
            default -> p.replace("{\"apiVersion\"", "{" + dup + ",\"apiVersion\"");
        };
    }

    static long cpuMillis(long pid) throws Exception {
        Path file = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(file)) {
            // Under -XX:+ExitOnOutOfMemoryError this is how the unbounded code ended (finding 1).
            throw new AssertionError("the app (pid " + pid + ") exited; see its log");
        }
        String[] stat = Files.readString(file).replaceFirst("^.*\\) ", "").split(" ");
        // utime and stime are fields 14 and 15 of stat (11 and 12 after the command); ticks of 10 ms on Linux
        return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) * 10;
    }

    @Test
    void hostileRequestsCostABoundedAnswerAndNeverAFault() throws Exception {
        PackagedArtifact artifact = PackagedArtifact.current();
        Assumptions.assumeTrue(artifact.exists(), "needs the packaged application: " + artifact.describe());
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads process CPU from /proc");
        Path store = Files.createDirectories(work.resolve("store"));
        BenchAuth auth = BenchAuth.create("tokens", work);
        // The heap bound is read from the JVM's own GC log (the native executable has no such log: CPU, answers and
        // restarts are still checked there).
        Path gcLog = work.resolve("gc.log");
        List<String> options = new ArrayList<>(k8sJvmOptions());
        options.add("-Xlog:gc:file=" + gcLog);
        PackagedApp app = new PackagedApp(artifact, store, work.resolve("app.log"), options, auth);
        app.start("hostile");
        long pid = app.pid();
        try {
            // HTTP/1.1: the client would otherwise ask for an h2c upgrade, which the codec refusals turn into GOAWAY.
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://localhost:" + app.port();
            // The policies the suite must leave as they are.
            for (String name : List.of("keep-one", "keep-two")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/policies"))
                        .header("Authorization", "Bearer " + auth.token()).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(policy(name, "TraceSampling", "{}", "[]"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(201, r.statusCode(), r.body());
            }
            String before = list(http, base, auth.token());
            List<Input> inputs = inputs();
            Set<String> distinct = new LinkedHashSet<>();
            List<String> failures = new ArrayList<>();
            long maxCpu = 0;
            int retries = 0;
            List<String> created = new ArrayList<>();
            int maxBytes = 0;
            String maxCpuInput = "";
            java.util.Map<String, Integer> perClass = new java.util.TreeMap<>();
            java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
            long t0 = System.nanoTime();
            for (Input input : inputs) {
                distinct.add(input.method() + " " + input.path() + " " + input.headers() + " " + (input.body() == null
                        ? "" : new String(input.body(), StandardCharsets.UTF_8)));
                long cpu0 = cpuMillis(pid);
                Answer r;
                try {
                    r = send(http, base, auth.token(), input);
                } catch (java.io.IOException stale) {
                    // The server closes the connection after a codec refusal (414, 431) or a 413; the client may
                    // have picked that pooled connection for the next request already. Once more, on a new one.
                    retries++;
                    try {
                        r = send(http, base, auth.token(), input);
                    } catch (java.io.IOException e) {
                        failures.add(input.label() + ": no answer (" + e + ")");
                        continue;
                    }
                }
                long cpu = cpuMillis(pid) - cpu0;
                perClass.merge(input.cls(), 1, Integer::sum);
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 201 && r.location() != null) {
                    // Some inputs are valid on purpose (names of up to 253 characters, a zero with a huge exponent).
                    created.add(r.location());
                }
                if (cpu > maxCpu) {
                    maxCpu = cpu;
                    maxCpuInput = input.label();
                }
                maxBytes = Math.max(maxBytes, r.bytes());
                if (r.statusCode() >= 500 || r.bytes() > MAX_ANSWER_BYTES || cpu > MAX_CPU_MILLIS) {
                    failures.add(input.label() + ": " + r.statusCode() + ", " + r.bytes() + " bytes, " + cpu
                            + " ms CPU");
                }
            }
            long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            System.out.printf("HostileInputIT: inputs per class %s; statuses %s (0: closed without an answer); "
                    + "most CPU %d ms (%s); %d s%n", perClass, statuses, maxCpu, maxCpuInput, seconds);
            assertTrue(distinct.size() >= 1000, "only " + distinct.size() + " distinct inputs");
            System.out.printf("HostileInputIT: %d inputs (%d distinct), largest answer %d bytes, most CPU %d ms, "
                    + "%d sent twice after a closed connection%n", inputs.size(), distinct.size(), maxBytes, maxCpu,
                    retries);
            assertTrue(failures.isEmpty(), failures.size() + " failed: " + failures);
            assertTrue(app.pid() == pid && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "the app restarted or died");
            for (String location : created) {
                HttpResponse<String> d = http.send(HttpRequest.newBuilder(URI.create(location))
                        .header("Authorization", "Bearer " + auth.token()).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(204, d.statusCode(), location + ": " + d.body());
            }
            System.out.printf("HostileInputIT: %d valid inputs were stored and deleted again%n", created.size());
            if (!artifact.nativeExecutable()) {
                Heap heap = Heap.of(Files.readAllLines(gcLog));
                System.out.printf("HostileInputIT: heap under -Xmx64m: at most %d MiB in use before a collection, at "
                        + "most %d MiB live after one, %d collections (%s)%n", heap.peakBefore(), heap.peakAfter(),
                        heap.collections(), gcLog);
                assertTrue(heap.collections() > 0, "the GC log shows collections: " + gcLog);
                // Live data after a young collection is what requests keep; a request that held its input (or its
                // answer) past its end would show here, whatever -Xmx allows.
                assertTrue(heap.peakAfter() <= MAX_LIVE_MIB, "live heap after a collection reached "
                        + heap.peakAfter() + " MiB (bound " + MAX_LIVE_MIB + ")");
            }
            assertEquals(before, list(http, base, auth.token()), "the stored policies changed");
            try (Stream<Path> files = Files.list(store)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                    PolicyTypes.CODEC.read(Documents.parseOne(Files.readAllBytes(f), true));
                }
            }
        } finally {
            app.killNine();
        }
    }

    static final int MAX_LIVE_MIB = 40;

    /** From {@code -Xlog:gc} lines such as {@code GC(3) Pause Young (Allocation Failure) 20M->5M(61M) 1.2ms}. */
    record Heap(int peakBefore, int peakAfter, int collections) {
        static Heap of(List<String> lines) {
            Pattern p = Pattern.compile(" (\\d+)M->(\\d+)M\\(\\d+M\\)");
            int before = 0;
            int after = 0;
            int n = 0;
            for (String line : lines) {
                Matcher m = p.matcher(line);
                if (line.contains("Pause") && m.find()) {
                    before = Math.max(before, Integer.parseInt(m.group(1)));
                    after = Math.max(after, Integer.parseInt(m.group(2)));
                    n++;
                }
            }
            return new Heap(before, after, n);
        }
    }

    /** What came back: the status (0 when the server closed without one), its size, a Location if any. */
    record Answer(int statusCode, int bytes, String location) {
    }

    static Answer send(HttpClient http, String base, String token, Input input) throws Exception {
        if (input.method().equals("RAW")) {
            return raw(base, input.body());
        }
        HttpRequest request;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + input.path()))
                    .timeout(Duration.ofSeconds(30))
                    .method(input.method(), input.body() == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(input.body()));
            if (input.headers().stream().noneMatch(h -> h.equals("Authorization"))) {
                b.header("Authorization", "Bearer " + token);
            }
            for (int i = 0; i < input.headers().size(); i += 2) {
                b.header(input.headers().get(i), input.headers().get(i + 1));
            }
            request = b.build();
        } catch (IllegalArgumentException refusedByTheClient) {
            // A header value or URI the JDK client will not send (control characters): the same bytes, by hand.
            StringBuilder head = new StringBuilder(input.method() + " " + input.path() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer " + token + "\r\n");
            for (int i = 0; i < input.headers().size(); i += 2) {
                head.append(input.headers().get(i)).append(": ").append(input.headers().get(i + 1)).append("\r\n");
            }
            byte[] body = input.body() == null ? new byte[0] : input.body();
            head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            all.write(head.toString().getBytes(StandardCharsets.UTF_8));
            all.write(body);
            return raw(base, all.toByteArray());
        }
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.body().length, r.headers().firstValue("Location").orElse(null));
    }

    /** The bytes on a new connection, then end of input; reads what the server answers until it closes. */
    static Answer raw(String base, byte[] bytes) throws java.io.IOException {
        URI uri = URI.create(base);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            try {
                socket.getOutputStream().write(bytes);
                socket.shutdownOutput();
            } catch (java.io.IOException closedEarly) {
                // The server may refuse a request line or headers before it has read them all.
            }
            byte[] answer;
            try {
                answer = socket.getInputStream().readAllBytes();
            } catch (java.net.SocketException reset) {
                answer = new byte[0];
            }
            String text = new String(answer, StandardCharsets.ISO_8859_1);
            Matcher m = Pattern.compile("^HTTP/1\\.[01] ([0-9]{3})").matcher(text);
            return new Answer(m.find() ? Integer.parseInt(m.group(1)) : 0, answer.length, null);
        }
    }

    private static String list(HttpClient http, String base, String token) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/policies"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }
}

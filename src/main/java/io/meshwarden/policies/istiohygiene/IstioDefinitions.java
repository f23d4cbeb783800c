package io.meshwarden.policies.istiohygiene;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Istio's annotation keys, labels and ProxyConfig fields at the pinned versions, read once from the generated
 * {@link IstioApi} text. A key or field that any pinned version defines is known; {@code in} names the versions when
 * not all of them do.
 */
final class IstioDefinitions {
    /** The annotation domains whose keys Istio's injector owns: every key there must be one Istio defines. */
    static final List<String> CHECKED_DOMAINS = List.of("sidecar.istio.io", "proxy.istio.io",
            "traffic.sidecar.istio.io", "status.sidecar.istio.io", "readiness.status.sidecar.istio.io",
            "inject.istio.io");

    record Key(String name, Set<String> resources, boolean deprecated, boolean templateOnly, List<String> in) {
        boolean appliesTo(String resource) {
            return resources.contains(resource) || resources.contains("Any");
        }
    }

    /**
     * @param type {@code bool}, {@code string}, {@code bytes}, {@code int32}, {@code uint32}, {@code int64},
     *             {@code uint64}, {@code double}, {@code duration}, {@code timestamp}, {@code struct}, {@code value},
     *             {@code list}, {@code any}, {@code enum:A|B}, {@code message:NAME}, each optionally wrapped as
     *             {@code list:T} or {@code map:T}
     */
    record FieldDef(String json, String proto, String type, List<String> in) {
    }

    record MessageDef(String name, Map<String, FieldDef> byJson, Map<String, FieldDef> byProto) {
        FieldDef field(String key) {
            FieldDef f = byJson.get(key);
            return f != null ? f : byProto.get(key);
        }
    }

    static final String PROXY_CONFIG = "istio.mesh.v1alpha1.ProxyConfig";
    static final Map<String, Key> ANNOTATIONS = keys(IstioApi.ANNOTATIONS);
    static final Map<String, Key> LABELS = keys(IstioApi.LABELS);
    static final Map<String, MessageDef> MESSAGES = messages(IstioApi.PROXY_CONFIG);

    private IstioDefinitions() {
    }

    static boolean checked(String key) {
        int slash = key.indexOf('/');
        return slash > 0 && CHECKED_DOMAINS.contains(key.substring(0, slash));
    }

    private static Map<String, Key> keys(String text) {
        Map<String, Key> out = new LinkedHashMap<>();
        for (String line : text.strip().split("\n")) {
            String[] parts = line.strip().split(" ");
            boolean deprecated = false;
            boolean template = false;
            List<String> in = List.of();
            for (int i = 2; i < parts.length; i++) {
                if (parts[i].equals("deprecated")) {
                    deprecated = true;
                } else if (parts[i].equals("template")) {
                    template = true;
                } else if (parts[i].startsWith("in=")) {
                    in = List.of(parts[i].substring(3).split(","));
                }
            }
            out.put(parts[0], new Key(parts[0], Set.copyOf(Arrays.asList(parts[1].split(","))), deprecated, template,
                    in));
        }
        return Map.copyOf(out);
    }

    private static Map<String, MessageDef> messages(String text) {
        Map<String, MessageDef> out = new HashMap<>();
        Map<String, FieldDef> byJson = null;
        Map<String, FieldDef> byProto = null;
        for (String line : text.strip().split("\n")) {
            String[] parts = line.strip().split(" ");
            if (parts[0].equals("message")) {
                byJson = new LinkedHashMap<>();
                byProto = new HashMap<>();
                out.put(parts[1], new MessageDef(parts[1], byJson, byProto));
                continue;
            }
            List<String> in = parts.length > 3 && parts[3].startsWith("in=")
                    ? List.of(parts[3].substring(3).split(",")) : List.of();
            FieldDef f = new FieldDef(parts[0], parts[1], parts[2], in);
            byJson.put(f.json(), f);
            byProto.put(f.proto(), f);
        }
        Map<String, MessageDef> frozen = new HashMap<>();
        out.forEach((k, v) -> frozen.put(k, new MessageDef(k, Map.copyOf(v.byJson()), Map.copyOf(v.byProto()))));
        if (!frozen.containsKey(PROXY_CONFIG)) {
            throw new IllegalStateException("the generated definitions hold no " + PROXY_CONFIG);
        }
        return Map.copyOf(frozen);
    }

    // ------------------------------------------------------------------ suggestions

    /**
     * The candidate closest to {@code wrong}, or null when none is close: a different case alone always counts
     * ({@code proxyCpu} for {@code proxyCPU}); otherwise at most one edit per five characters, and at most three.
     */
    static String closest(String wrong, Collection<String> candidates) {
        String w = wrong.toLowerCase(Locale.ROOT);
        int allowed = Math.min(3, Math.max(1, wrong.length() / 5));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            if (c.equals(wrong)) {
                continue;
            }
            // Capped one above the best so far: a result at the cap means "worse", so ties are exact.
            int d = distance(w, c.toLowerCase(Locale.ROOT), Math.min(bestDistance, allowed) + 1);
            if (d < bestDistance || d == bestDistance && best != null && c.compareTo(best) < 0) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= allowed ? best : null;
    }

    /**
     * Levenshtein distance with adjacent transpositions (optimal string alignment), giving up at {@code cap}: keys
     * are at most a few hundred characters, and the cap keeps a long hostile key from costing more than a row scan.
     */
    static int distance(String a, String b, int cap) {
        if (Math.abs(a.length() - b.length()) >= cap) {
            return cap;
        }
        int[] prev2 = new int[b.length() + 1];
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, prev2[j - 2] + 1);
                }
                cur[j] = v;
                rowMin = Math.min(rowMin, v);
            }
            if (rowMin >= cap) {
                return cap;
            }
            int[] t = prev2;
            prev2 = prev;
            prev = cur;
            cur = t;
        }
        return Math.min(prev[b.length()], cap);
    }
}

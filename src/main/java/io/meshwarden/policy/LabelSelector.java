package io.meshwarden.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kubernetes label selector: matchLabels plus set-based requirements. Also parses the query-string form
 * ({@code a=b,c!=d,e in (x,y),f notin (z),g,!h}) used by list filters.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {
    public static final LabelSelector EVERYTHING = new LabelSelector(Map.of(), List.of());

    public enum Operator {
        In, NotIn, Exists, DoesNotExist;

        /** In and NotIn take a non-empty list of values; Exists and DoesNotExist none. */
        public boolean needsValues() {
            return this == In || this == NotIn;
        }

        /** The operator as written in manifests; unknown names get a message that lists the valid ones. */
        public static Operator parse(String op) {
            for (Operator o : values()) {
                if (o.name().equals(op)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown selector operator '" + op
                    + "' (allowed: In, NotIn, Exists, DoesNotExist)");
        }
    }

    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            java.util.Objects.requireNonNull(key, "key");
            java.util.Objects.requireNonNull(operator, "operator");
            values = values == null ? List.of() : List.copyOf(values);
        }

        /** A missing label satisfies NotIn, as in k8s.io/apimachinery/pkg/labels. */
        public boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (operator) {
                case In -> v != null && values.contains(v);
                case NotIn -> v == null || !values.contains(v);
                case Exists -> v != null;
                case DoesNotExist -> v == null;
            };
        }
    }

    public LabelSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
        matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    }

    public boolean isEmpty() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }

    public boolean matches(Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(l.get(e.getKey()))) {
                return false;
            }
        }
        for (Requirement r : matchExpressions) {
            if (!r.matches(l)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses the query-string syntax. Throws IllegalArgumentException with a reason that names the bad term.
     */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        Map<String, String> equals = new LinkedHashMap<>();
        List<Requirement> reqs = new ArrayList<>();
        for (String term : splitTerms(text)) {
            String t = term.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("empty term in selector '" + text + "'");
            }
            String lower = t.toLowerCase(java.util.Locale.ROOT);
            int notin = indexOfWord(lower, " notin ");
            int in = indexOfWord(lower, " in ");
            if (notin > 0 || in > 0) {
                boolean isNot = notin > 0;
                int at = isNot ? notin : in;
                String key = t.substring(0, at).trim();
                String rest = t.substring(at + (isNot ? 7 : 4)).trim();
                if (!rest.startsWith("(") || !rest.endsWith(")")) {
                    throw new IllegalArgumentException("'" + t + "': values must be in parentheses");
                }
                List<String> values = new ArrayList<>();
                for (String v : rest.substring(1, rest.length() - 1).split(",")) {
                    values.add(checkValue(t, v.trim()));
                }
                reqs.add(new Requirement(checkKey(t, key), isNot ? Operator.NotIn : Operator.In, values));
            } else if (t.contains("!=")) {
                String[] kv = t.split("!=", 2);
                reqs.add(new Requirement(checkKey(t, kv[0].trim()), Operator.NotIn, List.of(checkValue(t,
                        kv[1].trim()))));
            } else if (t.contains("=")) {
                String[] kv = t.startsWith("=") ? new String[] {"", t} : t.split("==?", 2);
                equals.put(checkKey(t, kv[0].trim()), checkValue(t, kv[1].trim()));
            } else if (t.startsWith("!")) {
                reqs.add(new Requirement(checkKey(t, t.substring(1).trim()), Operator.DoesNotExist, List.of()));
            } else {
                reqs.add(new Requirement(checkKey(t, t), Operator.Exists, List.of()));
            }
        }
        return new LabelSelector(equals, reqs);
    }

    private static int indexOfWord(String s, String word) {
        return s.indexOf(word);
    }

    /** Splits on commas that are not inside parentheses. */
    private static List<String> splitTerms(String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(text.substring(start, i));
                start = i + 1;
            }
        }
        out.add(text.substring(start));
        return out;
    }

    private static String checkKey(String term, String key) {
        String problem = Names.checkLabelKey(key);
        if (problem != null) {
            throw new IllegalArgumentException("'" + term + "': key '" + key + "' " + problem);
        }
        return key;
    }

    private static String checkValue(String term, String value) {
        String problem = Names.checkLabelValue(value);
        if (problem != null) {
            throw new IllegalArgumentException("'" + term + "': value '" + value + "' " + problem);
        }
        return value;
    }

}

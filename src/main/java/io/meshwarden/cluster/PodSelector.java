package io.meshwarden.cluster;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** A Kubernetes label selector (matchLabels plus matchExpressions), evaluated the way the API server does. */
public record PodSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {
    public PodSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
        matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
    }

    public boolean isEmpty() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }

    /** An empty selector matches every label set. */
    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (Requirement r : matchExpressions) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String wireName;

        Operator(String wireName) {
            this.wireName = wireName;
        }

        public static Operator parse(String op) {
            for (Operator o : values()) {
                if (o.wireName.equals(op)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown selector operator '" + op + "'");
        }

        /** As written in manifests, e.g. {@code NotIn}. */
        @Override
        public String toString() {
            return wireName;
        }
    }

    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = values == null ? List.of() : List.copyOf(values);
        }

        public boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            switch (operator) {
                case IN:
                    return v != null && values.contains(v);
                case NOT_IN:
                    // A missing label satisfies NotIn, as in k8s.io/apimachinery/pkg/labels.
                    return v == null || !values.contains(v);
                case EXISTS:
                    return v != null;
                case DOES_NOT_EXIST:
                    return v == null;
                default:
                    throw new IllegalStateException(operator.name());
            }
        }
    }
}

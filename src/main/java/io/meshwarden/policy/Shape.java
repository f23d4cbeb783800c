package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An object of declared {@link Field}s: the one description of a policy type's parameters from which the codec
 * validates and the CRD and OpenAPI schemas are generated. Unknown fields are errors.
 */
public record Shape(List<Field> fields, Set<String> required) {
    public Shape {
        fields = List.copyOf(fields);
        required = Set.copyOf(required);
    }

    public static Shape of(Field... fields) {
        return new Shape(List.of(fields), Set.of());
    }

    public Shape requiring(String... names) {
        return new Shape(fields, Set.of(names));
    }

    public Field field(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("no field " + name);
    }

    /** Reads an object node; never null (an invalid node reads as an empty object, with its violation recorded). */
    public Values read(TreeReader r, JsonNode node, String path) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (!node.isObject()) {
            r.fail(path, "must be an object, got " + TreeReader.describe(node));
            return new Values(this, values, r, path);
        }
        Set<String> names = new LinkedHashSet<>();
        fields.forEach(f -> names.add(f.name()));
        r.onlyFields(node, path, names);
        for (Field f : fields) {
            JsonNode v = node.get(f.name());
            if ((v == null || v.isNull()) && required.contains(f.name())) {
                r.fail(TreeReader.child(path, f.name()), "is required");
                continue;
            }
            Object read = f.read(r, node, path);
            if (read != null) {
                values.put(f.name(), read);
            }
        }
        return new Values(this, values, r, path);
    }

    /** The JSON schema of the object; {@code withDefaults} adds each field's default (not for the CRD's union). */
    public ObjectNode schema(boolean withDefaults) {
        ObjectNode s = JsonNodeFactory.instance.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        for (Field f : fields) {
            ObjectNode fs = f.schema();
            if (f.description() != null) {
                fs.put("description", f.description());
            }
            if (withDefaults && f.defaultValue() != null) {
                fs.set("default", f.defaultValue());
            }
            props.set(f.name(), fs);
        }
        if (!required.isEmpty()) {
            ArrayNode req = s.putArray("required");
            fields.stream().map(Field::name).filter(required::contains).forEach(req::add);
        }
        return s;
    }

    /** What a document gave, with each field's declared default for what it left out. */
    public static final class Values {
        private final Shape shape;
        private final Map<String, Object> values;
        private final TreeReader reader;
        private final String path;

        Values(Shape shape, Map<String, Object> values, TreeReader reader, String path) {
            this.shape = shape;
            this.values = values;
            this.reader = reader;
            this.path = path;
        }

        public boolean has(String name) {
            return values.containsKey(name);
        }

        /** Records a violation at one of this object's fields (or at the object itself, for null). */
        public void fail(String field, String reason) {
            reader.fail(field == null ? path : TreeReader.child(path, field), reason);
        }

        public String path(String field) {
            return TreeReader.child(path, field);
        }

        public Integer integer(String name) {
            Object v = values.get(name);
            return v != null ? (Integer) v : ((Field.Int) shape.field(name)).defaultInt();
        }

        public Boolean bool(String name) {
            Object v = values.get(name);
            return v != null ? (Boolean) v : ((Field.Bool) shape.field(name)).defaultBool();
        }

        public BigDecimal decimal(String name) {
            Object v = values.get(name);
            return v != null ? (BigDecimal) v : ((Field.Decimal) shape.field(name)).defaultDecimal();
        }

        public String string(String name) {
            Object v = values.get(name);
            if (v != null) {
                return (String) v;
            }
            Field f = shape.field(name);
            return f instanceof Field.Enum e ? e.defaultString() : null;
        }

        @SuppressWarnings("unchecked")
        public List<String> strings(String name) {
            Object v = values.get(name);
            return v != null ? (List<String>) v : ((Field.StringList) shape.field(name)).defaultList();
        }

        @SuppressWarnings("unchecked")
        public Map<String, String> labels(String name) {
            Object v = values.get(name);
            return v != null ? (Map<String, String>) v : ((Field.Labels) shape.field(name)).defaultMap();
        }

        /** A nested object; null when absent. */
        public Values object(String name) {
            return (Values) values.get(name);
        }
    }
}

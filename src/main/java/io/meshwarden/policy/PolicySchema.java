package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The policy document's schema, generated from the same declarations the codec validates with: the common part
 * (metadata, mode, severity, target, exemptions) here, each type's parameters from its {@link Shape}. Two forms:
 * <ul>
 * <li>{@link #crd}: the MeshPolicy CustomResourceDefinition. A structural schema cannot switch on a field, so the
 * parameters are one object holding every type's fields, and CEL rules reject a field of another type and carry
 * each type's own cross-field rules.</li>
 * <li>{@link #openApi}: the OpenAPI components, with one spec variant per type and a discriminator on
 * {@code spec.type}, so that generated clients and validators know which parameters go with which type.</li>
 * </ul>
 * What neither can express (label syntax inside maps, limits &gt;= requests as quantities, duplicates) stays with
 * the codec; the CRD-vs-codec end-to-end test keeps the two in step.
 */
public final class PolicySchema {
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    public static final String KIND = "^[A-Z][A-Za-z0-9]*$";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private PolicySchema() {
    }

    // ---------------------------------------------------------------- CRD

    /** The whole CustomResourceDefinition of {@code meshpolicies.meshwarden.io}. */
    public static ObjectNode crd(List<? extends PolicyType> types) {
        ObjectNode crd = F.objectNode();
        crd.put("apiVersion", "apiextensions.k8s.io/v1");
        crd.put("kind", "CustomResourceDefinition");
        ObjectNode md = crd.putObject("metadata");
        md.put("name", "meshpolicies.meshwarden.io");
        md.putObject("labels").put("app.kubernetes.io/name", "meshwarden");
        ObjectNode spec = crd.putObject("spec");
        spec.put("group", "meshwarden.io");
        spec.put("scope", "Cluster");
        ObjectNode names = spec.putObject("names");
        names.put("kind", MeshPolicy.KIND).put("listKind", MeshPolicy.KIND + "List").put("plural", "meshpolicies")
                .put("singular", "meshpolicy");
        names.putArray("shortNames").add("mp");
        ObjectNode v = spec.putArray("versions").addObject();
        v.put("name", MeshPolicy.API_VERSION.substring(MeshPolicy.API_VERSION.indexOf('/') + 1));
        v.put("served", true).put("storage", true);
        v.putObject("subresources").putObject("status");
        ArrayNode cols = v.putArray("additionalPrinterColumns");
        column(cols, "Type", "string", ".spec.type");
        column(cols, "Mode", "string", ".spec.mode");
        column(cols, "Valid", "string", ".status.conditions[?(@.type==\"Valid\")].status");
        column(cols, "Findings", "integer", ".status.findings");
        column(cols, "Age", "date", ".metadata.creationTimestamp");
        ObjectNode root = v.putObject("schema").putObject("openAPIV3Schema");
        root.put("type", "object");
        root.putArray("required").add("spec");
        ObjectNode props = root.putObject("properties");
        props.putObject("apiVersion").put("type", "string");
        props.putObject("kind").put("type", "string");
        // metadata.name needs no pattern: the API server already requires a DNS-1123 subdomain for it.
        props.putObject("metadata").put("type", "object");
        ObjectNode specSchema = commonSpec(types, true);
        ((ObjectNode) specSchema.get("properties")).set("parameters", unionParameters(types));
        specSchema.set("x-kubernetes-validations", celRules(types));
        props.set("spec", specSchema);
        props.set("status", status());
        return crd;
    }

    private static void column(ArrayNode cols, String name, String type, String path) {
        cols.addObject().put("name", name).put("type", type).put("jsonPath", path);
    }

    /** Every type's fields in one object; a name two types share must mean the same. */
    private static ObjectNode unionParameters(List<? extends PolicyType> types) {
        ObjectNode props = F.objectNode();
        Map<String, String> owner = new LinkedHashMap<>();
        for (PolicyType t : types) {
            ObjectNode own = (ObjectNode) t.parameters().schema(false).get("properties");
            own.fields().forEachRemaining(e -> {
                JsonNode before = props.get(e.getKey());
                if (before != null && !before.equals(e.getValue())) {
                    throw new IllegalStateException("parameter " + e.getKey() + " of " + t.name()
                            + " differs from the one of " + owner.get(e.getKey()));
                }
                props.set(e.getKey(), e.getValue());
                owner.putIfAbsent(e.getKey(), t.name());
            });
        }
        ObjectNode s = F.objectNode().put("type", "object").put("description", "Parameters of spec.type; "
                + "a field of another type is an error");
        s.set("properties", props);
        return s;
    }

    private static ArrayNode celRules(List<? extends PolicyType> types) {
        ArrayNode rules = F.arrayNode();
        for (PolicyType t : types) {
            List<String> fields = new ArrayList<>();
            t.parameters().fields().forEach(f -> fields.add(f.name()));
            if (fields.isEmpty()) {
                continue;
            }
            String present = fields.size() == 1 ? "!has(self.parameters." + fields.get(0) + ")"
                    : "!(" + String.join(" || ", fields.stream().map(f -> "has(self.parameters." + f + ")").toList())
                            + ")";
            rules.addObject().put("rule", "self.type == '" + t.name() + "' || !has(self.parameters) || " + present)
                    .put("message", words(fields) + (fields.size() == 1 ? " belongs" : " belong") + " to type "
                            + t.name());
        }
        for (PolicyType t : types) {
            for (PolicyType.CelRule r : t.crdRules()) {
                rules.addObject().put("rule", r.rule()).put("message", r.message());
            }
        }
        return rules;
    }

    private static String words(List<String> names) {
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
    }

    private static ObjectNode status() {
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode p = s.putObject("properties");
        p.putObject("findings").put("type", "integer").put("minimum", 0);
        p.putObject("observedGeneration").put("type", "integer").put("format", "int64");
        ObjectNode conditions = p.putObject("conditions").put("type", "array");
        conditions.put("x-kubernetes-list-type", "map");
        conditions.putArray("x-kubernetes-list-map-keys").add("type");
        ObjectNode c = conditions.putObject("items").put("type", "object");
        c.putArray("required").add("type").add("status");
        ObjectNode cp = c.putObject("properties");
        cp.putObject("type").put("type", "string");
        ObjectNode st = cp.putObject("status").put("type", "string");
        st.putArray("enum").add("True").add("False").add("Unknown");
        cp.putObject("reason").put("type", "string");
        cp.putObject("message").put("type", "string");
        cp.putObject("lastTransitionTime").put("type", "string").put("format", "date-time");
        cp.putObject("observedGeneration").put("type", "integer").put("format", "int64");
        p.putObject("source").put("type", "string");
        p.putObject("file").put("type", "string");
        return s;
    }

    // ---------------------------------------------------------------- common part

    /** spec without parameters; {@code typeEnum}: list every type's name (the CRD) or leave it to the variants. */
    private static ObjectNode commonSpec(List<? extends PolicyType> types, boolean typeEnum) {
        ObjectNode s = F.objectNode().put("type", "object");
        s.putArray("required").add("type");
        ObjectNode p = s.putObject("properties");
        ObjectNode type = p.putObject("type").put("type", "string");
        if (typeEnum) {
            ArrayNode e = type.putArray("enum");
            types.forEach(t -> e.add(t.name()));
        }
        p.set("mode", enumOf(Mode.values(), Mode.AUDIT.wire()));
        p.set("severity", enumOf(Severity.values(), Severity.WARNING.wire()));
        p.set("target", target());
        ObjectNode ex = p.putObject("exemptions").put("type", "array");
        ObjectNode item = ex.putObject("items").put("type", "object");
        item.put("description", "Omitted fields match anything; at least one is required (an empty exemption "
                + "would exempt everything)");
        item.put("minProperties", 1);
        ObjectNode ip = item.putObject("properties");
        ip.set("namespace", string(DNS_LABEL, 63));
        ip.set("kind", string(KIND, null));
        ip.set("name", string(DNS_SUBDOMAIN, 253));
        return s;
    }

    private static ObjectNode enumOf(Enum<?>[] values, String defaultWire) {
        ObjectNode s = F.objectNode().put("type", "string");
        ArrayNode e = s.putArray("enum");
        for (Enum<?> v : values) {
            e.add(v.name().toLowerCase(Locale.ROOT));
        }
        s.put("default", defaultWire);
        return s;
    }

    private static ObjectNode target() {
        ObjectNode t = F.objectNode().put("type", "object");
        ObjectNode tp = t.putObject("properties");
        ObjectNode ns = tp.putObject("namespaces").put("type", "object");
        ns.put("description", "Empty include means every namespace; exclude wins");
        ObjectNode nsp = ns.putObject("properties");
        nsp.putObject("include").put("type", "array").set("items", string(DNS_LABEL, 63));
        nsp.putObject("exclude").put("type", "array").set("items", string(DNS_LABEL, 63));
        ObjectNode sel = tp.putObject("selector").put("type", "object");
        sel.put("description", "Kubernetes label selector on the object's own labels");
        ObjectNode sp = sel.putObject("properties");
        ObjectNode ml = sp.putObject("matchLabels").put("type", "object");
        ml.putObject("additionalProperties").put("type", "string").put("maxLength", 63);
        ObjectNode me = sp.putObject("matchExpressions").put("type", "array");
        ObjectNode req = me.putObject("items").put("type", "object");
        req.putArray("required").add("key").add("operator");
        ObjectNode rp = req.putObject("properties");
        rp.putObject("key").put("type", "string");
        ObjectNode op = rp.putObject("operator").put("type", "string");
        ArrayNode ops = op.putArray("enum");
        for (LabelSelector.Operator o : LabelSelector.Operator.values()) {
            ops.add(o.name());
        }
        rp.putObject("values").put("type", "array").putObject("items").put("type", "string");
        return t;
    }

    private static ObjectNode string(String pattern, Integer maxLength) {
        ObjectNode s = F.objectNode().put("type", "string");
        if (maxLength != null) {
            s.put("maxLength", maxLength);
        }
        s.put("pattern", pattern);
        return s;
    }

    // ---------------------------------------------------------------- OpenAPI

    /**
     * The OpenAPI component schemas, by name: {@code MeshPolicy}, {@code MeshPolicySpec} (one of the per-type
     * variants, discriminated by {@code type}), and for each type {@code <Type>Spec} and {@code <Type>Parameters}.
     * References use {@code #/components/schemas/<name>}.
     */
    public static Map<String, ObjectNode> openApi(List<? extends PolicyType> types) {
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        ObjectNode policy = F.objectNode().put("type", "object").put("description", "A Meshwarden policy document");
        policy.putArray("required").add("apiVersion").add("kind").add("metadata").add("spec");
        ObjectNode pp = policy.putObject("properties");
        pp.putObject("apiVersion").put("type", "string").putArray("enum").add(MeshPolicy.API_VERSION);
        pp.putObject("kind").put("type", "string").putArray("enum").add(MeshPolicy.KIND);
        pp.set("metadata", metadata());
        pp.set("spec", ref("MeshPolicySpec"));
        ObjectNode status = pp.putObject("status").put("type", "object").put("readOnly", true);
        status.put("description", "Where the policy comes from; ignored on input");
        status.put("additionalProperties", true);
        out.put("MeshPolicy", closed(policy));

        ObjectNode spec = F.objectNode().put("description", "The policy's spec; parameters depend on type");
        ArrayNode oneOf = spec.putArray("oneOf");
        ObjectNode disc = spec.putObject("discriminator").put("propertyName", "type");
        ObjectNode mapping = disc.putObject("mapping");
        for (PolicyType t : types) {
            String variant = t.name() + "Spec";
            oneOf.add(ref(variant));
            mapping.put(t.name(), "#/components/schemas/" + variant);
            ObjectNode v = commonSpec(types, false);
            v.put("description", t.description());
            ObjectNode vp = (ObjectNode) v.get("properties");
            ((ObjectNode) vp.get("type")).putArray("enum").add(t.name());
            vp.set("parameters", ref(t.name() + "Parameters"));
            ObjectNode matchLabels = (ObjectNode) v.at("/properties/target/properties/selector/properties/matchLabels");
            labelMap(matchLabels);
            ((ObjectNode) v.at("/properties/target/properties/selector/properties/matchExpressions"))
                    .set("items", requirement());
            ObjectNode params = t.parameters().schema(true);
            if (params.path("required").size() > 0) {
                // The codec reads absent parameters as {}, which lacks the required ones.
                ((ArrayNode) v.get("required")).add("parameters");
            }
            out.put(variant, closed(v));
            out.put(t.name() + "Parameters", closed(params));
        }
        out.put("MeshPolicySpec", spec);
        out.values().forEach(PolicySchema::openApiForm);
        return out;
    }

    /**
     * What the codec accepts beyond the CRD's schema, stated in the OpenAPI form only: an optional field sent as
     * null is read as absent (as Kubernetes does), and a quantity is bounded in digits, exponent and size
     * ({@link Numbers}): an integer up to {@value Numbers#MAX_DIGITS} digits, a string of the grammar with at most
     * that many digits and no suffix, or of at most 3 + 3 digits with a suffix or exponent up to peta (a strict
     * subset: every value it admits is accepted, within 2^63-1).
     */
    private static void openApiForm(JsonNode schema) {
        if (!(schema instanceof ObjectNode o)) {
            return;
        }
        if (o.has("x-kubernetes-int-or-string")) {
            o.remove("pattern");
            ArrayNode any = o.putArray("anyOf");
            any.addObject().put("type", "integer").put("minimum", 0).put("maximum", Long.parseLong("9".repeat(
                    Numbers.MAX_DIGITS)));
            any.addObject().put("type", "string").put("pattern", BOUNDED_QUANTITY);
            return;
        }
        JsonNode props = o.get("properties");
        if (props != null) {
            java.util.Set<String> required = new java.util.HashSet<>();
            o.path("required").forEach(r -> required.add(r.asText()));
            props.fields().forEachRemaining(e -> {
                openApiForm(e.getValue());
                if (!required.contains(e.getKey()) && e.getValue() instanceof ObjectNode p) {
                    orNull(p);
                }
            });
        }
        openApiForm(o.get("items"));
        if (o.get("additionalProperties") instanceof ObjectNode values) {
            openApiForm(values);
        }
    }

    private static final String SMALL = "([0-9]{1,3}(\\.[0-9]{0,3})?|\\.[0-9]{1,3})";
    static final String BOUNDED_QUANTITY = "^(" + java.util.stream.IntStream.rangeClosed(0, Numbers.MAX_DIGITS)
            .mapToObj(w -> w == 0 ? "\\.[0-9]{1," + Numbers.MAX_DIGITS + "}"
                    : "[0-9]{" + w + "}(\\.[0-9]{0," + (Numbers.MAX_DIGITS - w) + "})?")
            .collect(java.util.stream.Collectors.joining("|")) + "|" + SMALL + "([KMGTP]i|[numkMGTP])|" + SMALL
            + "[eE](\\+|-)?(0?[0-9]|1[0-5]))$";

    /** A schema that also admits null. */
    private static void orNull(ObjectNode p) {
        JsonNode type = p.get("type");
        if (type != null && type.isTextual() && !p.has("anyOf") && !p.has("oneOf")) {
            p.putArray("type").add(type.asText()).add("null");
            if (p.get("enum") instanceof ArrayNode values) {
                values.addNull();
            }
        } else if (p.get("anyOf") instanceof ArrayNode any) {
            any.addObject().put("type", "null");
        } else if (p.has("$ref")) {
            ObjectNode ref = F.objectNode().put("$ref", p.get("$ref").asText());
            p.remove("$ref");
            ArrayNode any = p.putArray("anyOf");
            any.add(ref);
            any.addObject().put("type", "null");
        }
    }

    /**
     * Every object with declared properties rejects unknown fields, as the codec does (in the schema itself, its
     * properties and array items, at any depth); maps (additionalProperties of a type) stay open. Only the OpenAPI
     * form: a CRD's structural schema may not combine properties with additionalProperties.
     */
    private static ObjectNode closed(ObjectNode schema) {
        if (schema.has("properties") && !schema.has("additionalProperties")) {
            schema.put("additionalProperties", false);
        }
        JsonNode props = schema.get("properties");
        if (props != null) {
            props.forEach(p -> {
                if (p.isObject()) {
                    closed((ObjectNode) p);
                }
            });
        }
        if (schema.get("items") instanceof ObjectNode items) {
            closed(items);
        }
        return schema;
    }

    /** A matchExpressions entry: values non-empty for In and NotIn, empty or absent for Exists and DoesNotExist. */
    private static ObjectNode requirement() {
        ObjectNode r = F.objectNode().put("type", "object");
        ArrayNode oneOf = r.putArray("oneOf");
        for (boolean needsValues : new boolean[] {true, false}) {
            ObjectNode v = oneOf.addObject().put("type", "object");
            ArrayNode required = v.putArray("required").add("key").add("operator");
            ObjectNode p = v.putObject("properties");
            p.putObject("key").put("type", "string").put("pattern", Names.LABEL_KEY_PATTERN);
            ArrayNode ops = p.putObject("operator").put("type", "string").putArray("enum");
            for (LabelSelector.Operator o : LabelSelector.Operator.values()) {
                if (o.needsValues() == needsValues) {
                    ops.add(o.name());
                }
            }
            ObjectNode values = p.putObject("values");
            values.putObject("items").put("type", "string");
            if (needsValues) {
                required.add("values");
                values.put("type", "array").put("minItems", 1);
            } else {
                values.putArray("type").add("array").add("null");
                values.put("maxItems", 0);
            }
            v.put("additionalProperties", false);
        }
        return r;
    }

    /** A map of Kubernetes labels: keys and values with the syntax {@link Names} checks. */
    private static ObjectNode labelMap(ObjectNode map) {
        map.putObject("propertyNames").put("type", "string").put("pattern", Names.LABEL_KEY_PATTERN);
        ObjectNode values = map.putObject("additionalProperties").put("type", "string");
        values.put("pattern", Names.LABEL_VALUE_PATTERN);
        return map;
    }

    private static ObjectNode metadata() {
        ObjectNode m = F.objectNode().put("type", "object");
        m.putArray("required").add("name");
        ObjectNode p = m.putObject("properties");
        p.set("name", string(DNS_SUBDOMAIN, 253).put("description", "DNS-1123 subdomain"));
        labelMap(p.putObject("labels").put("type", "object"));
        ObjectNode annotations = p.putObject("annotations").put("type", "object");
        annotations.putObject("propertyNames").put("type", "string").put("pattern", Names.LABEL_KEY_PATTERN);
        annotations.putObject("additionalProperties").put("type", "string");
        p.putObject("resourceVersion").put("type", "string").put("pattern", "^[0-9]{1,19}$")
                .put("description", "Optimistic-concurrency token; send it back on update (or use If-Match)");
        p.putObject("generation").put("type", "integer").put("format", "int64").put("readOnly", true)
                .put("description", "Incremented when spec changes");
        p.putObject("creationTimestamp").put("type", "string").put("readOnly", true);
        return m;
    }

    private static ObjectNode ref(String name) {
        return F.objectNode().put("$ref", "#/components/schemas/" + name);
    }
}

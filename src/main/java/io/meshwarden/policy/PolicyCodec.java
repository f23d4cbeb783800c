package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The one policy format, in both directions. {@link #read} validates strictly (unknown fields are errors, every
 * violation is reported with its path) and fills defaults; {@link #write} renders the canonical document.
 */
public final class PolicyCodec {
    private static final Set<String> TOP = ordered("apiVersion", "kind", "metadata", "spec", "status");
    private static final Set<String> METADATA = ordered("name", "labels", "annotations", "resourceVersion",
            "generation", "creationTimestamp");
    private static final Set<String> SPEC = ordered("type", "mode", "severity", "target", "exemptions",
            "parameters");
    private static final Set<String> TARGET = ordered("namespaces", "selector");
    private static final Set<String> NAMESPACES = ordered("include", "exclude");
    private static final Set<String> SELECTOR = ordered("matchLabels", "matchExpressions");
    private static final Set<String> EXPRESSION = ordered("key", "operator", "values");
    private static final Set<String> EXEMPTION = ordered("namespace", "kind", "name");

    /**
     * Violations listed per document unless the caller says otherwise: enough for any honest mistake, while a body of
     * tens of thousands of bad items cannot turn into an answer fifty times its size.
     */
    public static final int DEFAULT_MAX_VIOLATIONS = 100;

    private final Map<String, PolicyType> types = new LinkedHashMap<>();

    /** @param types every policy type the service knows, in the order schemas and messages list them */
    public PolicyCodec(List<? extends PolicyType> types) {
        for (PolicyType t : types) {
            if (this.types.put(t.name(), t) != null) {
                throw new IllegalArgumentException("two policy types named " + t.name());
            }
        }
    }

    public List<PolicyType> types() {
        return List.copyOf(types.values());
    }

    public Optional<PolicyType> type(String name) {
        return Optional.ofNullable(types.get(name));
    }

    /** Validates a parsed document and returns the normalized policy, or throws with its violations. */
    public MeshPolicy read(JsonNode doc) {
        return read(doc, DEFAULT_MAX_VIOLATIONS);
    }

    /**
     * As {@link #read(JsonNode)}, listing at most {@code maxViolations} violations; the rest are only counted
     * ({@link PolicyValidationException#omitted()}).
     */
    public MeshPolicy read(JsonNode doc, int maxViolations) {
        TreeReader r = new TreeReader(maxViolations);
        JsonNode root = r.object(doc, "", true);
        if (root == null) {
            throw new PolicyValidationException(r.violations(), r.omitted());
        }
        r.onlyFields(root, "", TOP);
        String apiVersion = r.string(root, "apiVersion", "", true);
        if (apiVersion != null && !MeshPolicy.API_VERSION.equals(apiVersion)) {
            r.fail("/apiVersion", "must be " + MeshPolicy.API_VERSION + ", got '" + apiVersion + "'");
        }
        String kind = r.string(root, "kind", "", true);
        if (kind != null && !MeshPolicy.KIND.equals(kind)) {
            r.fail("/kind", "must be " + MeshPolicy.KIND + ", got '" + kind + "'");
        }
        PolicyMetadata metadata = readMetadata(r, root.get("metadata"));
        PolicySpec spec = readSpec(r, root.get("spec"));
        if (!r.violations().isEmpty()) {
            throw new PolicyValidationException(r.violations(), r.omitted());
        }
        return new MeshPolicy(metadata, spec);
    }

    private static PolicyMetadata readMetadata(TreeReader r, JsonNode node) {
        String p = "/metadata";
        JsonNode m = r.object(node, p, true);
        if (m == null) {
            return null;
        }
        r.onlyFields(m, p, METADATA);
        String name = r.string(m, "name", p, true);
        if (name != null) {
            String problem = Names.checkSubdomain(name);
            if (problem != null) {
                r.fail(p + "/name", problem);
            }
        }
        Map<String, String> labels = r.stringMap(m, "labels", p);
        if (labels != null) {
            labels.forEach((k, v) -> {
                String kp = Names.checkLabelKey(k);
                if (kp != null) {
                    r.fail(TreeReader.child(p + "/labels", k), kp);
                }
                String vp = Names.checkLabelValue(v);
                if (vp != null) {
                    r.fail(TreeReader.child(p + "/labels", k), vp);
                }
            });
        }
        Map<String, String> annotations = r.stringMap(m, "annotations", p);
        if (annotations != null) {
            annotations.keySet().forEach(k -> {
                String kp = Names.checkLabelKey(k);
                if (kp != null) {
                    r.fail(TreeReader.child(p + "/annotations", k), kp);
                }
            });
        }
        String rv = r.string(m, "resourceVersion", p, false);
        if (rv != null && !rv.matches("[0-9]{1,19}")) {
            r.fail(p + "/resourceVersion", "must be a decimal number as a string, as returned by the API");
            rv = null;
        }
        // generation and creationTimestamp are server-managed: accepted so that a GET can be PUT back, then ignored.
        return new PolicyMetadata(name, labels, annotations, rv, 0, null);
    }

    private PolicySpec readSpec(TreeReader r, JsonNode node) {
        String p = "/spec";
        JsonNode s = r.object(node, p, true);
        if (s == null) {
            return null;
        }
        r.onlyFields(s, p, SPEC);
        PolicyType type = typeOf(r, s, p);
        Mode mode = enumValue(r, s, "mode", p, Mode.class, false, true);
        Severity severity = enumValue(r, s, "severity", p, Severity.class, false, true);
        Target target = readTarget(r, s.get("target"), p + "/target");
        List<Exemption> exemptions = readExemptions(r, s.get("exemptions"), p + "/exemptions");
        Parameters parameters = type == null ? null : readParameters(r, type, s.get("parameters"), p + "/parameters");
        return new PolicySpec(type, mode == null ? Mode.AUDIT : mode, severity == null ? Severity.WARNING : severity,
                target, exemptions, parameters);
    }

    private PolicyType typeOf(TreeReader r, JsonNode s, String p) {
        String v = r.string(s, "type", p, true);
        if (v == null) {
            return null;
        }
        PolicyType t = types.get(v);
        if (t == null) {
            r.fail(p + "/type", "must be one of " + String.join(", ", types.keySet()) + ", got '" + v + "'");
        }
        return t;
    }

    private static <E extends Enum<E>> E enumValue(TreeReader r, JsonNode parent, String field, String path,
            Class<E> type, boolean required, boolean lowerCaseWire) {
        String v = r.string(parent, field, path, required);
        if (v == null) {
            return null;
        }
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String wire = lowerCaseWire ? e.name().toLowerCase(Locale.ROOT) : e.name();
            allowed.add(wire);
            if (wire.equals(v)) {
                return e;
            }
        }
        r.fail(TreeReader.child(path, field), "must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
        return null;
    }

    private static Target readTarget(TreeReader r, JsonNode node, String p) {
        JsonNode t = r.object(node, p, false);
        if (t == null) {
            return Target.ALL;
        }
        r.onlyFields(t, p, TARGET);
        List<String> include = List.of();
        List<String> exclude = List.of();
        JsonNode ns = r.object(t.get("namespaces"), p + "/namespaces", false);
        if (ns != null) {
            r.onlyFields(ns, p + "/namespaces", NAMESPACES);
            include = namespaceList(r, ns, "include", p + "/namespaces");
            exclude = namespaceList(r, ns, "exclude", p + "/namespaces");
        }
        LabelSelector selector = readSelector(r, t.get("selector"), p + "/selector");
        return new Target(include, exclude, selector);
    }

    private static List<String> namespaceList(TreeReader r, JsonNode ns, String field, String p) {
        List<String> list = r.strings(ns, field, p);
        if (list == null) {
            return List.of();
        }
        for (int i = 0; i < list.size(); i++) {
            String problem = Names.checkLabel(list.get(i));
            if (problem != null) {
                r.fail(p + "/" + field + "/" + i, "namespace " + problem);
            }
        }
        return List.copyOf(new LinkedHashSet<>(list));
    }

    static LabelSelector readSelector(TreeReader r, JsonNode node, String p) {
        JsonNode s = r.object(node, p, false);
        if (s == null) {
            return LabelSelector.EVERYTHING;
        }
        r.onlyFields(s, p, SELECTOR);
        Map<String, String> matchLabels = r.stringMap(s, "matchLabels", p);
        if (matchLabels != null) {
            checkLabels(r, matchLabels, p + "/matchLabels");
        }
        List<LabelSelector.Requirement> reqs = new ArrayList<>();
        JsonNode exprs = s.get("matchExpressions");
        if (exprs != null && !exprs.isNull()) {
            if (!exprs.isArray()) {
                r.fail(p + "/matchExpressions", "must be a list, got " + TreeReader.describe(exprs));
            } else {
                for (int i = 0; i < exprs.size(); i++) {
                    LabelSelector.Requirement req = readRequirement(r, exprs.get(i), p + "/matchExpressions/" + i);
                    if (req != null) {
                        reqs.add(req);
                    }
                }
            }
        }
        return new LabelSelector(matchLabels == null ? Map.of() : matchLabels, reqs);
    }

    private static LabelSelector.Requirement readRequirement(TreeReader r, JsonNode node, String p) {
        JsonNode e = r.object(node, p, true);
        if (e == null) {
            return null;
        }
        r.onlyFields(e, p, EXPRESSION);
        String key = r.string(e, "key", p, true);
        if (key != null && Names.checkLabelKey(key) != null) {
            r.fail(p + "/key", Names.checkLabelKey(key));
            key = null;
        }
        LabelSelector.Operator op = enumValue(r, e, "operator", p, LabelSelector.Operator.class, true, false);
        List<String> values = r.strings(e, "values", p);
        if (op == null || key == null) {
            return null;
        }
        boolean needsValues = op.needsValues();
        if (needsValues && (values == null || values.isEmpty())) {
            r.fail(p + "/values", "must be a non-empty list for operator " + op);
            return null;
        }
        if (!needsValues && values != null && !values.isEmpty()) {
            r.fail(p + "/values", "must be empty for operator " + op);
            return null;
        }
        return new LabelSelector.Requirement(key, op, values == null ? List.of() : values);
    }

    static void checkLabels(TreeReader r, Map<String, String> labels, String p) {
        labels.forEach((k, v) -> {
            String kp = Names.checkLabelKey(k);
            String vp = Names.checkLabelValue(v);
            if (kp != null) {
                r.fail(TreeReader.child(p, k), kp);
            } else if (vp != null) {
                r.fail(TreeReader.child(p, k), vp);
            }
        });
    }

    private static List<Exemption> readExemptions(TreeReader r, JsonNode node, String p) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            r.fail(p, "must be a list, got " + TreeReader.describe(node));
            return List.of();
        }
        List<Exemption> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String ep = p + "/" + i;
            JsonNode e = r.object(node.get(i), ep, true);
            if (e == null) {
                continue;
            }
            r.onlyFields(e, ep, EXEMPTION);
            String ns = r.string(e, "namespace", ep, false);
            String kind = r.string(e, "kind", ep, false);
            String name = r.string(e, "name", ep, false);
            if (ns == null && kind == null && name == null) {
                r.fail(ep, "must set at least one of namespace, kind, name (an empty exemption would exempt "
                        + "everything)");
                continue;
            }
            if (ns != null && Names.checkLabel(ns) != null) {
                r.fail(ep + "/namespace", Names.checkLabel(ns));
            }
            if (name != null && Names.checkSubdomain(name) != null) {
                r.fail(ep + "/name", Names.checkSubdomain(name));
            }
            if (kind != null && !kind.matches("[A-Z][A-Za-z0-9]*")) {
                r.fail(ep + "/kind", "must be a Kubernetes kind in UpperCamelCase, e.g. Deployment");
            }
            out.add(new Exemption(ns, kind, name));
        }
        return out;
    }

    private static Parameters readParameters(TreeReader r, PolicyType type, JsonNode node, String p) {
        JsonNode params = r.object(node, p, false);
        JsonNode n = params == null ? JsonNodeFactory.instance.objectNode() : params;
        return type.read(type.parameters().read(r, n, p));
    }

    /** The canonical document: defaults filled in, server-managed metadata included when set. */
    public static ObjectNode write(MeshPolicy policy) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("apiVersion", MeshPolicy.API_VERSION);
        root.put("kind", MeshPolicy.KIND);
        ObjectNode md = root.putObject("metadata");
        PolicyMetadata m = policy.metadata();
        md.put("name", m.name());
        if (!m.labels().isEmpty()) {
            putMap(md.putObject("labels"), m.labels());
        }
        if (!m.annotations().isEmpty()) {
            putMap(md.putObject("annotations"), m.annotations());
        }
        if (m.resourceVersion() != null) {
            md.put("resourceVersion", m.resourceVersion());
        }
        if (m.generation() > 0) {
            md.put("generation", m.generation());
        }
        if (m.creationTimestamp() != null) {
            md.put("creationTimestamp", m.creationTimestamp());
        }
        PolicySpec s = policy.spec();
        ObjectNode spec = root.putObject("spec");
        spec.put("type", s.type().name());
        spec.put("mode", s.mode().wire());
        spec.put("severity", s.severity().wire());
        writeTarget(spec, s.target());
        ArrayNode ex = spec.putArray("exemptions");
        for (Exemption e : s.exemptions()) {
            ObjectNode o = ex.addObject();
            putIfSet(o, "namespace", e.namespace());
            putIfSet(o, "kind", e.kind());
            putIfSet(o, "name", e.name());
        }
        writeParameters(spec.putObject("parameters"), s);
        return root;
    }

    private static void writeTarget(ObjectNode spec, Target t) {
        ObjectNode target = spec.putObject("target");
        ObjectNode ns = target.putObject("namespaces");
        t.includeNamespaces().forEach(ns.putArray("include")::add);
        t.excludeNamespaces().forEach(ns.putArray("exclude")::add);
        LabelSelector sel = t.selector();
        if (!sel.isEmpty()) {
            ObjectNode so = target.putObject("selector");
            if (!sel.matchLabels().isEmpty()) {
                putMap(so.putObject("matchLabels"), sel.matchLabels());
            }
            if (!sel.matchExpressions().isEmpty()) {
                ArrayNode exprs = so.putArray("matchExpressions");
                for (LabelSelector.Requirement req : sel.matchExpressions()) {
                    ObjectNode e = exprs.addObject();
                    e.put("key", req.key());
                    e.put("operator", req.operator().name());
                    if (!req.values().isEmpty()) {
                        req.values().forEach(e.putArray("values")::add);
                    }
                }
            }
        }
    }

    private static void writeParameters(ObjectNode o, PolicySpec s) {
        s.type().write(s.parameters(), o);
    }

    public static void putMap(ObjectNode o, Map<String, String> map) {
        new TreeMap<>(map).forEach(o::put);
    }

    private static void putIfSet(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    private static Set<String> ordered(String... names) {
        return new LinkedHashSet<>(List.of(names));
    }
}

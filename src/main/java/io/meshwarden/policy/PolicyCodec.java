package io.meshwarden.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The one policy format, in both directions. {@link #read} validates strictly (unknown fields are errors, every
 * violation is reported with its path) and fills defaults; {@link #write} renders the canonical document.
 */
public final class PolicyCodec {
    public static final Set<String> WELL_KNOWN_COMPONENTS = Set.of("istiod", "ingressgateway", "egressgateway");
    public static final List<String> DEFAULT_HEADERS = List.of("x-envoy-upstream-service-time",
            "x-envoy-decorator-operation");
    public static final Map<String, String> DEFAULT_GATEWAY_SELECTOR = Map.of("istio", "ingressgateway");

    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9a-z]+");
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
    private static final Set<String> HA = ordered("components", "minReplicas", "autoscaleMin", "autoscaleMax",
            "requirePodDisruptionBudget");
    private static final Set<String> INJECTION = ordered("workloadKinds", "whenNativeSidecars");
    private static final Set<String> HEADERS = ordered("gatewaySelector", "headers");
    private static final Set<String> SIZING = ordered("requests", "limits", "tolerance");
    private static final Set<String> RESOURCES = ordered("cpu", "memory");
    private static final Set<String> TRACING = ordered("maxPercent");

    private PolicyCodec() {
    }

    /** Validates a parsed document and returns the normalized policy, or throws with every violation. */
    public static MeshPolicy read(JsonNode doc) {
        TreeReader r = new TreeReader();
        JsonNode root = r.object(doc, "", true);
        if (root == null) {
            throw new PolicyValidationException(r.violations());
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
            throw new PolicyValidationException(r.violations());
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

    private static PolicySpec readSpec(TreeReader r, JsonNode node) {
        String p = "/spec";
        JsonNode s = r.object(node, p, true);
        if (s == null) {
            return null;
        }
        r.onlyFields(s, p, SPEC);
        PolicyType type = enumValue(r, s, "type", p, PolicyType.class, true, false);
        Mode mode = enumValue(r, s, "mode", p, Mode.class, false, true);
        Severity severity = enumValue(r, s, "severity", p, Severity.class, false, true);
        Target target = readTarget(r, s.get("target"), p + "/target");
        List<Exemption> exemptions = readExemptions(r, s.get("exemptions"), p + "/exemptions");
        Parameters parameters = type == null ? null : readParameters(r, type, s.get("parameters"), p + "/parameters");
        return new PolicySpec(type, mode == null ? Mode.AUDIT : mode, severity == null ? Severity.WARNING : severity,
                target, exemptions, parameters);
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
        boolean needsValues = op == LabelSelector.Operator.In || op == LabelSelector.Operator.NotIn;
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

    private static void checkLabels(TreeReader r, Map<String, String> labels, String p) {
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
        return switch (type) {
            case HaMinimum -> readHa(r, n, p);
            case InjectionExclusion -> readInjection(r, n, p);
            case HeaderRemoval -> readHeaders(r, n, p);
            case ProxySizing -> readSizing(r, n, p);
            case TraceSampling -> readTracing(r, n, p);
        };
    }

    private static Parameters.HaMinimum readHa(TreeReader r, JsonNode n, String p) {
        r.onlyFields(n, p, HA);
        List<String> components = r.strings(n, "components", p);
        if (components == null) {
            components = List.of("istiod");
        } else if (components.isEmpty()) {
            r.fail(p + "/components", "must name at least one component");
        }
        for (int i = 0; i < components.size(); i++) {
            String c = components.get(i);
            if (!WELL_KNOWN_COMPONENTS.contains(c) && Names.checkLabel(c) != null) {
                r.fail(p + "/components/" + i, "must be istiod, ingressgateway, egressgateway or a Helm release name ("
                        + Names.checkLabel(c) + ")");
            }
        }
        Integer minReplicas = r.integer(n, "minReplicas", p, 1, 1000);
        Integer autoscaleMin = r.integer(n, "autoscaleMin", p, 1, 1000);
        Integer autoscaleMax = r.integer(n, "autoscaleMax", p, 1, 1000);
        Boolean pdb = r.bool(n, "requirePodDisruptionBudget", p);
        int min = autoscaleMin == null ? 2 : autoscaleMin;
        int max = autoscaleMax == null ? Math.max(5, min) : autoscaleMax;
        if (autoscaleMax != null && max < min) {
            r.fail(p + "/autoscaleMax", "must be greater than or equal to autoscaleMin (" + min + "), got " + max);
        }
        return new Parameters.HaMinimum(List.copyOf(new LinkedHashSet<>(components)),
                minReplicas == null ? 2 : minReplicas, min, max, pdb == null || pdb);
    }

    private static Parameters.InjectionExclusion readInjection(TreeReader r, JsonNode n, String p) {
        r.onlyFields(n, p, INJECTION);
        List<String> kinds = r.strings(n, "workloadKinds", p);
        if (kinds == null) {
            kinds = List.of("Job", "CronJob");
        } else if (kinds.isEmpty()) {
            r.fail(p + "/workloadKinds", "must name at least one of Job, CronJob");
        }
        for (int i = 0; i < kinds.size(); i++) {
            if (!kinds.get(i).equals("Job") && !kinds.get(i).equals("CronJob")) {
                r.fail(p + "/workloadKinds/" + i, "must be Job or CronJob, got '" + kinds.get(i) + "'");
            }
        }
        Parameters.NativeSidecars when = enumValue(r, n, "whenNativeSidecars", p, Parameters.NativeSidecars.class,
                false, true);
        return new Parameters.InjectionExclusion(List.copyOf(new LinkedHashSet<>(kinds)),
                when == null ? Parameters.NativeSidecars.SKIP : when);
    }

    private static Parameters.HeaderRemoval readHeaders(TreeReader r, JsonNode n, String p) {
        r.onlyFields(n, p, HEADERS);
        Map<String, String> selector = r.stringMap(n, "gatewaySelector", p);
        if (selector == null) {
            selector = DEFAULT_GATEWAY_SELECTOR;
        } else if (selector.isEmpty()) {
            r.fail(p + "/gatewaySelector", "must have at least one label (an empty selector matches every proxy)");
        } else {
            checkLabels(r, selector, p + "/gatewaySelector");
        }
        List<String> headers = r.strings(n, "headers", p);
        if (headers == null) {
            headers = DEFAULT_HEADERS;
        } else if (headers.isEmpty()) {
            r.fail(p + "/headers", "must name at least one header");
        }
        List<String> normalized = new ArrayList<>();
        for (int i = 0; i < headers.size(); i++) {
            String h = headers.get(i).toLowerCase(Locale.ROOT);
            if (!HEADER_NAME.matcher(h).matches()) {
                r.fail(p + "/headers/" + i, "must be an HTTP header name (token characters only), got '"
                        + headers.get(i) + "'");
            }
            normalized.add(h);
        }
        return new Parameters.HeaderRemoval(new TreeMap<>(selector), List.copyOf(new LinkedHashSet<>(normalized)));
    }

    private static Parameters.ProxySizing readSizing(TreeReader r, JsonNode n, String p) {
        r.onlyFields(n, p, SIZING);
        Parameters.Resources requests = readResources(r, n.get("requests"), p + "/requests", true);
        Parameters.Resources limits = readResources(r, n.get("limits"), p + "/limits", false);
        if (requests != null && limits != null) {
            compareLimit(r, requests.cpu(), limits.cpu(), p + "/limits/cpu");
            compareLimit(r, requests.memory(), limits.memory(), p + "/limits/memory");
        }
        BigDecimal tolerance = r.decimal(n, "tolerance", p, BigDecimal.ZERO, BigDecimal.valueOf(100));
        return new Parameters.ProxySizing(requests, limits, tolerance == null ? BigDecimal.TEN : tolerance);
    }

    private static Parameters.Resources readResources(TreeReader r, JsonNode node, String p, boolean required) {
        JsonNode res = r.object(node, p, required);
        if (res == null) {
            return null;
        }
        r.onlyFields(res, p, RESOURCES);
        String cpu = quantity(r, res, "cpu", p, required);
        String memory = quantity(r, res, "memory", p, required);
        return new Parameters.Resources(cpu, memory);
    }

    private static String quantity(TreeReader r, JsonNode parent, String field, String p, boolean required) {
        JsonNode n = parent.get(field);
        String fp = p + "/" + field;
        if (n == null || n.isNull()) {
            if (required) {
                r.fail(fp, "is required");
            }
            return null;
        }
        // YAML turns `cpu: 1` into a number; Kubernetes accepts that, so do we.
        if (!n.isTextual() && !n.isNumber()) {
            r.fail(fp, "must be a Kubernetes quantity such as 100m or 128Mi, got " + TreeReader.describe(n));
            return null;
        }
        String text = n.isTextual() ? n.textValue() : n.decimalValue().toPlainString();
        try {
            BigDecimal amount = Quantity.getAmountInBytes(Quantity.parse(text));
            if (amount.signum() < 0) {
                r.fail(fp, "must not be negative, got '" + text + "'");
                return null;
            }
            return text;
        } catch (RuntimeException e) {
            r.fail(fp, "must be a Kubernetes quantity such as 100m or 128Mi, got '" + text + "'");
            return null;
        }
    }

    private static void compareLimit(TreeReader r, String request, String limit, String p) {
        if (request == null || limit == null) {
            return;
        }
        BigDecimal req = Quantity.getAmountInBytes(Quantity.parse(request));
        BigDecimal lim = Quantity.getAmountInBytes(Quantity.parse(limit));
        if (lim.compareTo(req) < 0) {
            r.fail(p, "must be greater than or equal to the request (" + request + "), got " + limit);
        }
    }

    private static Parameters.TraceSampling readTracing(TreeReader r, JsonNode n, String p) {
        r.onlyFields(n, p, TRACING);
        BigDecimal max = r.decimal(n, "maxPercent", p, BigDecimal.ZERO, BigDecimal.valueOf(100));
        return new Parameters.TraceSampling(max == null ? BigDecimal.ONE : max);
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
        writeParameters(spec.putObject("parameters"), s.parameters());
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

    private static void writeParameters(ObjectNode o, Parameters parameters) {
        // Java 17 has no pattern switch; the sealed hierarchy keeps this chain exhaustive in review.
        if (parameters instanceof Parameters.HaMinimum ha) {
            ha.components().forEach(o.putArray("components")::add);
            o.put("minReplicas", ha.minReplicas());
            o.put("autoscaleMin", ha.autoscaleMin());
            o.put("autoscaleMax", ha.autoscaleMax());
            o.put("requirePodDisruptionBudget", ha.requirePodDisruptionBudget());
        } else if (parameters instanceof Parameters.InjectionExclusion ie) {
            ie.workloadKinds().forEach(o.putArray("workloadKinds")::add);
            o.put("whenNativeSidecars", ie.whenNativeSidecars().name().toLowerCase(Locale.ROOT));
        } else if (parameters instanceof Parameters.HeaderRemoval hr) {
            putMap(o.putObject("gatewaySelector"), hr.gatewaySelector());
            hr.headers().forEach(o.putArray("headers")::add);
        } else if (parameters instanceof Parameters.ProxySizing ps) {
            writeResources(o, "requests", ps.requests());
            writeResources(o, "limits", ps.limits());
            o.put("tolerance", ps.tolerancePercent());
        } else if (parameters instanceof Parameters.TraceSampling ts) {
            o.put("maxPercent", ts.maxPercent());
        } else {
            throw new IllegalStateException("unhandled parameters " + parameters);
        }
    }

    private static void writeResources(ObjectNode parent, String field, Parameters.Resources res) {
        if (res == null) {
            return;
        }
        ObjectNode o = parent.putObject(field);
        putIfSet(o, "cpu", res.cpu());
        putIfSet(o, "memory", res.memory());
    }

    private static void putMap(ObjectNode o, Map<String, String> map) {
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

package io.meshwarden.policies.headerremoval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HeaderRemoval: ingress gateways must not tell clients about the mesh's internals through response headers.
 *
 * <p>A header counts as removed when the proxy's envoy debug headers are off (mesh config or the gateway's
 * {@code proxy.istio.io/config}; covers only {@code x-envoy-*} headers) or when an EnvoyFilter that reaches the
 * gateway strips it. {@code x-envoy-decorator-operation} is written after {@code response_headers_to_remove} runs
 * (envoy#9778), so for it only a route patch {@code decorator: {propagate: false}} counts.
 */
public final class HeaderRemovalRule {
    public static final RuleId NOT_REMOVED = new RuleId("headers-not-removed",
            "An ingress gateway lets Envoy's internal response headers through");
    static final String DECORATOR = "x-envoy-decorator-operation";
    static final String FILTER_NAME = "meshwarden-strip-headers";
    private static final Set<String> CONTEXTS = Set.of("GATEWAY", "ANY");
    private static final Set<String> HEADER_APPLY_TO = Set.of("ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE");

    private HeaderRemovalRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        HeaderRemovalParameters p = (HeaderRemovalParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : snapshot.workloadsOfKind(WorkloadKind.DEPLOYMENT)) {
            if (!selects(p.gatewaySelector(), w.podLabels()) || !scope.covers(w)) {
                continue;
            }
            check(w, p, mesh, checks);
        }
        return checks.outcome();
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static void check(Workload gw, HeaderRemovalParameters p, Mesh mesh, Checks checks) {
        String debugHeadersSource = debugHeadersDisabledBy(gw, mesh);
        Set<String> removed = new LinkedHashSet<>();
        boolean decoratorOff = false;
        for (IstioResource f : filtersFor(gw, mesh)) {
            JsonNode patches = f.spec().path("configPatches");
            if (!patches.isArray()) {
                continue;
            }
            for (JsonNode cp : patches) {
                String context = cp.path("match").path("context").asText("ANY");
                String applyTo = cp.path("applyTo").asText("");
                String op = cp.path("patch").path("operation").asText("");
                if (!CONTEXTS.contains(context) || !HEADER_APPLY_TO.contains(applyTo)
                        || !(op.equals("MERGE") || op.equals("ADD"))) {
                    continue;
                }
                JsonNode value = cp.path("patch").path("value");
                JsonNode remove = value.path("response_headers_to_remove");
                for (JsonNode h : remove.isArray() ? remove : Json.F.arrayNode()) {
                    removed.add(h.asText().toLowerCase(Locale.ROOT));
                }
                if (applyTo.equals("HTTP_ROUTE") && Json.bool(value.path("decorator").path("propagate"))
                        == Boolean.FALSE) {
                    decoratorOff = true;
                }
            }
        }
        List<String> leaking = new ArrayList<>();
        for (String header : p.headers()) {
            boolean ok = header.equals(DECORATOR) ? decoratorOff : removed.contains(header);
            if (!ok && debugHeadersSource != null && header.startsWith("x-envoy-")) {
                ok = true;
            }
            if (!ok) {
                leaking.add(header);
            }
        }
        if (leaking.isEmpty()) {
            checks.pass();
            return;
        }
        checks.fail(NOT_REMOVED, Refs.of(gw), null,
                "meshConfig.defaultConfig.proxyHeaders.envoyDebugHeaders.disabled",
                "removed: " + String.join(", ", p.headers()), "leaking: " + String.join(", ", leaking),
                "Ingress gateway " + gw.ref() + " still returns " + String.join(", ", leaking)
                        + " to clients; no mesh config, proxy.istio.io/config annotation or EnvoyFilter removes "
                        + (leaking.size() == 1 ? "it" : "them"),
                remedy(gw, p, leaking));
    }

    /** Where envoy debug headers are switched off for this gateway; null when they are on. */
    private static String debugHeadersDisabledBy(Workload gw, Mesh mesh) {
        JsonNode annotation = Json.parseYaml(gw.podAnnotations().get(Mesh.PROXY_CONFIG_ANNOTATION));
        // The annotation's ProxyConfig is merged over the mesh default, so an explicit false there wins.
        if (annotation != null) {
            Boolean v = Json.bool(annotation.at("/proxyHeaders/envoyDebugHeaders/disabled"));
            if (v != null) {
                return v ? "annotation " + Mesh.PROXY_CONFIG_ANNOTATION : null;
            }
        }
        Boolean mesh0 = Json.bool(mesh.meshConfigFor(gw).at("/defaultConfig/proxyHeaders/envoyDebugHeaders/disabled"));
        return Boolean.TRUE.equals(mesh0) ? "mesh config" : null;
    }

    /**
     * EnvoyFilters in the gateway's namespace or the root namespace whose workloadSelector matches the gateway's
     * pod labels; no selector means every workload of that namespace (or of the mesh, in the root namespace).
     */
    private static List<IstioResource> filtersFor(Workload gw, Mesh mesh) {
        List<IstioResource> out = new ArrayList<>();
        Set<String> namespaces = new LinkedHashSet<>(List.of(gw.namespace(), mesh.rootNamespace()));
        for (String ns : namespaces) {
            for (IstioResource f : mesh.snapshot().istioResources(IstioKind.ENVOY_FILTER, ns)) {
                JsonNode selector = f.spec().path("workloadSelector").path("labels");
                if (f.spec().has("targetRefs")) {
                    // Gateway API targeting; it does not reach a Deployment by labels.
                    continue;
                }
                boolean matches = true;
                if (selector.isObject()) {
                    for (Map.Entry<String, JsonNode> e : selector.properties()) {
                        if (!e.getValue().asText().equals(gw.podLabels().get(e.getKey()))) {
                            matches = false;
                        }
                    }
                }
                if (matches) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private static Remedy remedy(Workload gw, HeaderRemovalParameters p, List<String> leaking) {
        ResourceRef ref = new ResourceRef("networking.istio.io/v1alpha3", "EnvoyFilter", gw.namespace(),
                FILTER_NAME);
        ObjectNode filter = Json.F.objectNode();
        filter.put("apiVersion", ref.apiVersion()).put("kind", ref.kind());
        ObjectNode meta = filter.putObject("metadata");
        meta.put("name", FILTER_NAME).put("namespace", gw.namespace());
        meta.putObject("labels").put(Ownership.MANAGED_BY, Ownership.MANAGED_BY_VALUE);
        ObjectNode spec = filter.putObject("spec");
        spec.putObject("workloadSelector").set("labels", Json.labels(p.gatewaySelector()));
        ArrayNode patches = spec.putArray("configPatches");
        List<String> strip = new ArrayList<>();
        for (String h : leaking) {
            if (!h.equals(DECORATOR)) {
                strip.add(h);
            }
        }
        if (!strip.isEmpty()) {
            ObjectNode cp = patches.addObject();
            cp.put("applyTo", "ROUTE_CONFIGURATION");
            cp.putObject("match").put("context", "GATEWAY");
            ObjectNode patch = cp.putObject("patch");
            patch.put("operation", "MERGE");
            ArrayNode remove = patch.putObject("value").putArray("response_headers_to_remove");
            strip.forEach(remove::add);
        }
        if (leaking.contains(DECORATOR)) {
            ObjectNode cp = patches.addObject();
            cp.put("applyTo", "HTTP_ROUTE");
            cp.putObject("match").put("context", "GATEWAY");
            ObjectNode patch = cp.putObject("patch");
            patch.put("operation", "MERGE");
            patch.putObject("value").putObject("decorator").put("propagate", false);
        }
        return new Remedy(ref, Remedy.CREATE, filter, false,
                "Istiod pushes the filter to the gateway; no restart. x-envoy-decorator-operation needs the route "
                        + "patch because response_headers_to_remove runs before Envoy adds it.");
    }
}

package io.meshwarden.policies.tracesampling;

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
import io.meshwarden.istio.ValuesSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.MeshPolicy;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * TraceSampling: the sampling rate each injected workload really gets, from the most specific source that sets it:
 * Telemetry with a workload selector in the workload's namespace, Telemetry without selector in that namespace,
 * Telemetry without selector in the root namespace, the pod's {@code proxy.istio.io/config}, mesh config
 * {@code defaultConfig.tracing.sampling}, istiod's {@code pilot.traceSampling}, else Istio's 1.0. The remedy changes
 * that source, since changing a less specific one would not take effect.
 */
public final class TraceSamplingRule {
    public static final RuleId TOO_HIGH = new RuleId("trace-sampling-too-high",
            "An injected workload's effective trace sampling rate is above the policy's maximum");
    static final BigDecimal ISTIO_DEFAULT = BigDecimal.ONE;
    static final String TELEMETRY_NAME = "meshwarden-tracing";

    /** The effective rate, where it comes from, and how to lower it there. */
    record Effective(BigDecimal percent, String source, String path, ResourceRef resource, HelmRef helm,
            Function<BigDecimal, Remedy> fix) {
    }

    private TraceSamplingRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        TraceSamplingParameters p = (TraceSamplingParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : mesh.sidecarWorkloads()) {
            if (!scope.covers(w)) {
                continue;
            }
            Effective e = effective(w, mesh);
            if (e.percent().compareTo(p.maxPercent()) <= 0) {
                checks.pass();
                continue;
            }
            String max = p.maxPercent().stripTrailingZeros().toPlainString();
            String actual = e.percent().stripTrailingZeros().toPlainString();
            checks.fail(TOO_HIGH, Refs.of(w), e.helm(), e.path(), "<= " + max, actual,
                    w.ref() + " samples " + actual + "% of traces (set by " + e.source() + " at " + e.path()
                            + "), above the maximum of " + max + "%",
                    e.fix().apply(p.maxPercent()));
        }
        return checks.outcome();
    }

    static Effective effective(Workload w, Mesh mesh) {
        ClusterSnapshot s = mesh.snapshot();
        String root = mesh.rootNamespace();
        List<IstioResource> local = s.istioResources(IstioKind.TELEMETRY, w.namespace());
        Effective e = telemetry(local, w, true, "Telemetry for the workload");
        if (e == null && !w.namespace().equals(root)) {
            e = telemetry(local, w, false, "namespace-wide Telemetry");
        }
        if (e == null) {
            e = telemetry(s.istioResources(IstioKind.TELEMETRY, root), w, false, "root-namespace Telemetry");
        }
        if (e == null) {
            e = annotation(w);
        }
        if (e == null) {
            e = meshConfig(w, mesh);
        }
        if (e == null) {
            e = values(w, mesh);
        }
        return e;
    }

    /** @param withSelector true for workload-level Telemetry, false for namespace-wide ones (no selector) */
    private static Effective telemetry(List<IstioResource> telemetries, Workload w, boolean withSelector,
            String what) {
        for (IstioResource t : telemetries) {
            JsonNode selector = t.spec().path("selector").path("matchLabels");
            boolean hasSelector = selector.isObject() && !selector.isEmpty();
            if (t.spec().has("targetRefs") || t.spec().has("targetRef") || hasSelector != withSelector) {
                continue;
            }
            if (hasSelector && !matches(selector, w.podLabels())) {
                continue;
            }
            JsonNode tracing = t.spec().path("tracing");
            if (!tracing.isArray()) {
                continue;
            }
            for (int i = 0; i < tracing.size(); i++) {
                BigDecimal rate = Json.decimal(tracing.get(i).path("randomSamplingPercentage"));
                if (rate == null) {
                    continue;
                }
                ResourceRef ref = Refs.of(t);
                String path = "spec.tracing[" + i + "].randomSamplingPercentage";
                return new Effective(rate, what + " " + t.namespace() + "/" + t.name(), path, ref, null,
                        max -> telemetryFix(t, max, what));
            }
        }
        return null;
    }

    private static boolean matches(JsonNode matchLabels, Map<String, String> labels) {
        for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
            if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static Remedy telemetryFix(IstioResource t, BigDecimal max, String what) {
        // Merge patches replace lists whole: send every entry, lowered where too high.
        ArrayNode tracing = t.spec().path("tracing").deepCopy();
        for (JsonNode entry : tracing) {
            BigDecimal rate = Json.decimal(entry.path("randomSamplingPercentage"));
            if (rate != null && rate.compareTo(max) > 0) {
                ((ObjectNode) entry).set("randomSamplingPercentage", Json.number(max));
            }
        }
        return new Remedy(Refs.of(t), Remedy.PATCH, Json.nest("spec.tracing", tracing), false,
                "Istiod pushes the new rate to the proxies; no restart."
                        + (what.startsWith("root") ? " This Telemetry applies to the whole mesh." : ""));
    }

    private static Effective annotation(Workload w) {
        JsonNode config = Json.parseYaml(w.podAnnotations().get(Mesh.PROXY_CONFIG_ANNOTATION));
        BigDecimal rate = config == null ? null : Json.decimal(config.at("/tracing/sampling"));
        if (rate == null) {
            return null;
        }
        String path = w.kind().templatePath() + ".metadata.annotations[\"" + Mesh.PROXY_CONFIG_ANNOTATION
                + "\"].tracing.sampling";
        return new Effective(rate, "the pod annotation " + Mesh.PROXY_CONFIG_ANNOTATION, path, Refs.of(w), null,
                max -> {
                    ObjectNode fixed = config.deepCopy();
                    fixed.withObject("/tracing").set("sampling", Json.number(max));
                    ObjectNode annotations = Json.F.objectNode().put(Mesh.PROXY_CONFIG_ANNOTATION,
                            Json.toYaml(fixed));
                    return new Remedy(Refs.of(w), Remedy.PATCH,
                            Json.nest(w.kind().templatePath() + ".metadata.annotations", annotations), true,
                            "Changing the pod template rolls the workload; the other proxy config keys are kept.");
                });
    }

    private static Effective meshConfig(Workload w, Mesh mesh) {
        Optional<MeshConfig> m = mesh.snapshot().meshConfig(mesh.revisionOf(w));
        if (m.isEmpty()) {
            m = mesh.snapshot().meshConfig();
        }
        if (m.isEmpty()) {
            return null;
        }
        MeshConfig config = m.get();
        BigDecimal rate = Json.decimal(config.mesh().at("/defaultConfig/tracing/sampling"));
        if (rate == null) {
            return null;
        }
        Optional<ValuesSource> values = mesh.istiodFor(mesh.revisionOf(w));
        String note = "Proxies read defaultConfig at start: the new rate reaches each pod when it restarts.";
        if (values.isPresent()) {
            ValuesSource src = values.get();
            // The ConfigMap is rendered from meshConfig in istiod's values; edit it there or the next upgrade reverts it.
            return new Effective(rate, "mesh config (ConfigMap " + config.namespace() + "/" + config.configMapName()
                    + ")", "defaultConfig.tracing.sampling", src.ref(), src.helm(),
                    max -> Remedy.setValue(src, "meshConfig.defaultConfig.tracing.sampling", Json.number(max), false, note));
        }
        ResourceRef cm = new ResourceRef("v1", "ConfigMap", config.namespace(), config.configMapName());
        return new Effective(rate, "mesh config (ConfigMap " + config.namespace() + "/" + config.configMapName() + ")",
                "data.mesh.defaultConfig.tracing.sampling", cm, null, max -> {
                    ObjectNode fixed = config.mesh().deepCopy();
                    fixed.withObject("/defaultConfig/tracing").set("sampling", Json.number(max));
                    ObjectNode patch = Json.F.objectNode();
                    patch.putObject("data").put("mesh", Json.toYaml(fixed));
                    return new Remedy(cm, Remedy.PATCH, patch, false, note);
                });
    }

    private static Effective values(Workload w, Mesh mesh) {
        Optional<ValuesSource> values = mesh.istiodFor(mesh.revisionOf(w));
        String note = "Sets PILOT_TRACE_SAMPLING: istiod rolls out (its pods restart).";
        if (values.isPresent()) {
            ValuesSource src = values.get();
            for (String key : List.of("pilot.traceSampling", "traceSampling",
                    ValuesSource.CHART_DEFAULTS + "traceSampling")) {
                BigDecimal rate = Json.decimal(src.value(key));
                if (rate != null) {
                    String fixKey = key.startsWith("_") ? "pilot.traceSampling" : key;
                    return new Effective(rate, "istiod values of " + src, src.path(key), src.ref(), src.helm(),
                            max -> Remedy.setValue(src, fixKey, Json.number(max), true, note));
                }
            }
            return new Effective(ISTIO_DEFAULT, "Istio's default (nothing sets it)", src.path("pilot.traceSampling"),
                    src.ref(), src.helm(), max -> Remedy.setValue(src, "pilot.traceSampling", Json.number(max), true, note));
        }
        return new Effective(ISTIO_DEFAULT, "Istio's default (nothing sets it)", "pilot.traceSampling",
                Refs.of(w), null, max -> {
                    String root = mesh.rootNamespace();
                    ResourceRef ref = new ResourceRef("telemetry.istio.io/v1", "Telemetry", root, TELEMETRY_NAME);
                    ObjectNode t = Json.F.objectNode();
                    t.put("apiVersion", ref.apiVersion()).put("kind", ref.kind());
                    ObjectNode meta = t.putObject("metadata");
                    meta.put("name", TELEMETRY_NAME).put("namespace", root);
                    meta.putObject("labels").put(Ownership.MANAGED_BY, Ownership.MANAGED_BY_VALUE);
                    t.putObject("spec").putArray("tracing").addObject().set("randomSamplingPercentage", Json.number(max));
                    return new Remedy(ref, Remedy.CREATE, t, false, "No istiod values were found to change; a "
                            + "root-namespace Telemetry sets the rate mesh-wide without restarts.");
                });
    }
}

package io.meshwarden.istio;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.Json;
import io.meshwarden.model.ProxyResources;
import io.meshwarden.model.Workload;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What resources {@code istio-proxy} really gets, as Istio's injector computes them:
 * <ol>
 * <li>the injection template: the {@code gateway} template ({@code inject.istio.io/templates: gateway}, used by the
 * gateway chart) sets none; the sidecar template takes them from the four {@code sidecar.istio.io/proxy*}
 * annotations when any one is set (then only from them: istio#34822), else from {@code global.proxy.resources};</li>
 * <li>then a {@code istio-proxy} container declared in the pod template is merged over the injected one, field by
 * field (istio pkg/kube/inject/webhook.go, {@code reapplyOverwrittenContainers}): a request or limit it sets wins.</li>
 * </ol>
 *
 * @param source what decided the values, for messages
 * @param path   where to change them: the declared container when it decides any field, else the template's source
 * @param helm   the Helm release whose values decide them; null when none does
 * @param declared true when the declared istio-proxy container sets at least one of the four fields
 * @param gatewayTemplate true when the pod uses the gateway injection template (annotations do nothing)
 */
public record SidecarResources(String source, String path, HelmRef helm, String cpu, String memory, String cpuLimit,
        String memoryLimit, boolean declared, boolean gatewayTemplate) {
    public static final String CPU = "sidecar.istio.io/proxyCPU";
    public static final String CPU_LIMIT = "sidecar.istio.io/proxyCPULimit";
    public static final String MEMORY = "sidecar.istio.io/proxyMemory";
    public static final String MEMORY_LIMIT = "sidecar.istio.io/proxyMemoryLimit";
    public static final List<String> ANNOTATIONS = List.of(CPU, CPU_LIMIT, MEMORY, MEMORY_LIMIT);
    public static final String TEMPLATES = "inject.istio.io/templates";
    /** The istiod chart's global.proxy.resources. */
    public static final String DEFAULT_CPU = "100m";
    public static final String DEFAULT_MEMORY = "128Mi";
    public static final String DEFAULT_CPU_LIMIT = "2000m";
    public static final String DEFAULT_MEMORY_LIMIT = "1024Mi";
    private static final String DEFAULTS = ValuesSource.CHART_DEFAULTS;

    /** Whether the pod is injected with the gateway template (a comma-separated list may name several). */
    public static boolean gatewayTemplate(Workload w) {
        String t = w.podAnnotations().get(TEMPLATES);
        return t != null && Arrays.stream(t.split(",")).map(String::trim).anyMatch("gateway"::equals);
    }

    /**
     * The API server defaults a request to its limit where only the limit is set, once on the pod as submitted (so
     * a declared container's limit also decides the request) and again after the webhook (so a template limit without
     * a request, e.g. proxyCPULimit alone, gives the same request).
     */
    public static SidecarResources of(Workload w, Mesh mesh) {
        SidecarResources base = fromTemplate(w, mesh);
        ProxyResources declared = w.proxyResources();
        if (!w.hasIstioProxy() || declared == null) {
            return defaulted(base);
        }
        String cpuLimit = declared.limits().get("cpu");
        String memoryLimit = declared.limits().get("memory");
        String cpu = declared.requests().getOrDefault("cpu", cpuLimit);
        String memory = declared.requests().getOrDefault("memory", memoryLimit);
        if (cpu == null && memory == null && cpuLimit == null && memoryLimit == null) {
            return defaulted(base);
        }
        boolean all = cpu != null && memory != null && cpuLimit != null && memoryLimit != null;
        String container = w.hasNativeSidecar() ? "initContainers" : "containers";
        return defaulted(new SidecarResources("the istio-proxy container in the pod template"
                + (all ? "" : " over " + base.source()), w.kind().templatePath() + ".spec." + container
                        + "[istio-proxy].resources", null,
                cpu != null ? cpu : base.cpu(), memory != null ? memory : base.memory(),
                cpuLimit != null ? cpuLimit : base.cpuLimit(), memoryLimit != null ? memoryLimit : base.memoryLimit(),
                true, base.gatewayTemplate()));
    }

    private static SidecarResources defaulted(SidecarResources r) {
        if ((r.cpu() != null || r.cpuLimit() == null) && (r.memory() != null || r.memoryLimit() == null)) {
            return r;
        }
        return new SidecarResources(r.source(), r.path(), r.helm(), r.cpu() != null ? r.cpu() : r.cpuLimit(),
                r.memory() != null ? r.memory() : r.memoryLimit(), r.cpuLimit(), r.memoryLimit(), r.declared(),
                r.gatewayTemplate());
    }

    /** What the injection template alone gives the proxy. */
    private static SidecarResources fromTemplate(Workload w, Mesh mesh) {
        if (gatewayTemplate(w)) {
            return new SidecarResources("the gateway injection template (it sets no resources)",
                    w.kind().templatePath() + ".metadata.annotations[\"" + TEMPLATES + "\"]", null, null, null, null, null,
                    false, true);
        }
        boolean anyAnnotation = ANNOTATIONS.stream().anyMatch(w.podAnnotations()::containsKey);
        if (anyAnnotation) {
            return new SidecarResources("pod annotations", w.kind().templatePath() + ".metadata.annotations", null,
                    w.podAnnotations().get(CPU), w.podAnnotations().get(MEMORY), w.podAnnotations().get(CPU_LIMIT),
                    w.podAnnotations().get(MEMORY_LIMIT), false, false);
        }
        Optional<ValuesSource> source = mesh.istiodFor(mesh.revisionOf(w));
        if (source.isPresent()) {
            ValuesSource s = source.get();
            String cpu = value(s, "requests.cpu");
            String memory = value(s, "requests.memory");
            String cpuLimit = value(s, "limits.cpu");
            String memoryLimit = value(s, "limits.memory");
            if (cpu != null || memory != null || cpuLimit != null || memoryLimit != null) {
                if (!s.isHelm()) {
                    // The operators keep only what the user wrote; the chart's defaults fill the rest.
                    cpu = cpu == null ? DEFAULT_CPU : cpu;
                    memory = memory == null ? DEFAULT_MEMORY : memory;
                    cpuLimit = cpuLimit == null ? DEFAULT_CPU_LIMIT : cpuLimit;
                    memoryLimit = memoryLimit == null ? DEFAULT_MEMORY_LIMIT : memoryLimit;
                }
                return new SidecarResources("global.proxy.resources of " + s, s.path("global.proxy.resources"),
                        s.helm(), cpu, memory, cpuLimit, memoryLimit, false, false);
            }
        }
        return new SidecarResources("Istio's defaults", "global.proxy.resources (Istio defaults)", null, DEFAULT_CPU,
                DEFAULT_MEMORY, DEFAULT_CPU_LIMIT, DEFAULT_MEMORY_LIMIT, false, false);
    }

    private static String value(ValuesSource s, String field) {
        for (String prefix : List.of("global.proxy.resources.", DEFAULTS + "global.proxy.resources.")) {
            JsonNode v = s.value(prefix + field);
            if (Json.isSet(v)) {
                return v.asText();
            }
        }
        return null;
    }

}

package io.meshwarden.istio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Node;
import io.meshwarden.model.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Mesh-wide facts the rules share: which pods get a sidecar, which istiod serves them, native sidecars. */
public final class Mesh {
    public static final String DEFAULT_ROOT_NAMESPACE = "istio-system";
    public static final String INJECT = "sidecar.istio.io/inject";
    public static final String NATIVE_SIDECAR_ANNOTATION = "sidecar.istio.io/nativeSidecar";
    public static final String PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config";
    public static final String REV_LABEL = "istio.io/rev";
    public static final String INJECTION_LABEL = "istio-injection";
    public static final String HELM_RELEASE_NAME = "meta.helm.sh/release-name";
    /** Istio's injector never injects here, whatever the labels say (the webhook may still be called). */
    public static final Set<String> IGNORED_NAMESPACES = Set.of("kube-system", "kube-public", "kube-node-lease",
            "local-path-storage");
    public static final String HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace";

    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)");

    private final ClusterSnapshot snapshot;
    private final List<ValuesSource> istiod;

    public Mesh(ClusterSnapshot snapshot) {
        this.snapshot = snapshot;
        List<ValuesSource> sources = new ArrayList<>();
        for (HelmRelease r : snapshot.helmReleasesOfChart("istiod")) {
            sources.add(ValuesSource.of(r));
        }
        for (IstioResource r : snapshot.istioResources(IstioKind.SAIL_ISTIO)) {
            sources.add(ValuesSource.of(r));
        }
        for (IstioResource r : snapshot.istioResources(IstioKind.ISTIO_OPERATOR)) {
            sources.add(ValuesSource.of(r));
        }
        this.istiod = List.copyOf(sources);
    }

    public ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** Every place istiod's values are kept: Helm releases of the istiod chart, Sail Istio, IstioOperator. */
    public List<ValuesSource> istiodSources() {
        return istiod;
    }

    /** The istiod values for a revision (null = default), else the first known; empty when none is known. */
    public Optional<ValuesSource> istiodFor(String revision) {
        for (ValuesSource s : istiod) {
            if (Objects.equals(s.revision(), revision)) {
                return Optional.of(s);
            }
        }
        return istiod.isEmpty() ? Optional.empty() : Optional.of(istiod.get(0));
    }

    /** Telemetry and EnvoyFilter in this namespace apply mesh-wide. */
    public String rootNamespace() {
        Optional<MeshConfig> m = snapshot.meshConfig();
        String root = m.isPresent() ? m.get().mesh().path("rootNamespace").asText("") : "";
        return root.isEmpty() ? DEFAULT_ROOT_NAMESPACE : root;
    }

    public Map<String, String> namespaceLabels(String namespace) {
        Optional<NamespaceInfo> ns = snapshot.namespace(namespace);
        return ns.isPresent() ? ns.get().labels() : Map.of();
    }

    /**
     * The revision whose injector serves the pod: the pod's {@code istio.io/rev}, else the namespace's unless the
     * namespace also has {@code istio-injection} (which wins and means the default revision). Null = default.
     */
    public String revisionOf(Workload w) {
        String rev = w.podLabels().get(REV_LABEL);
        if (rev == null) {
            Map<String, String> ns = namespaceLabels(w.namespace());
            rev = ns.containsKey(INJECTION_LABEL) ? null : ns.get(REV_LABEL);
        }
        return rev == null || rev.isEmpty() || rev.equals("default") ? null : rev;
    }

    /** The mesh config of the pod's revision, falling back to the default revision's; missing when none. */
    public JsonNode meshConfigFor(Workload w) {
        Optional<MeshConfig> m = snapshot.meshConfig(revisionOf(w));
        if (m.isEmpty()) {
            m = snapshot.meshConfig();
        }
        return m.isPresent() ? m.get().mesh() : MissingNode.getInstance();
    }

    /** The Helm release that manages a workload, by the annotations Helm puts on what it installs. */
    public Optional<HelmRelease> helmReleaseOf(Workload w) {
        String name = w.annotations().get(HELM_RELEASE_NAME);
        if (name == null) {
            return Optional.empty();
        }
        String ns = w.annotations().getOrDefault(HELM_RELEASE_NAMESPACE, w.namespace());
        return snapshot.helmRelease(ns, name);
    }

    /**
     * Long-running workloads (not Jobs or CronJobs) whose pods run an istio-proxy sidecar: what sizing and sampling
     * rules look at.
     */
    public List<Workload> sidecarWorkloads() {
        List<Workload> out = new ArrayList<>();
        for (Workload w : snapshot.workloads()) {
            if (w.kind().longRunning() && injection(w).injected()) {
                out.add(w);
            }
        }
        return out;
    }

    public record Injection(boolean injected, String reason) {
    }

    /**
     * Whether pods of the template get a sidecar. Disabled anywhere wins; otherwise enabled anywhere injects. The
     * pod's label is read before its annotation. The annotation can only switch injection off: the webhook's
     * selectors look at labels, so an annotation alone never gets the pod to the injector. A template that already
     * carries a runnable {@code istio-proxy} (manual injection) counts as injected; one with {@code image: auto} is
     * only a placeholder for the injector (the gateway chart), and the labels decide as for any pod.
     */
    public Injection injection(Workload w) {
        if (w.hasIstioProxy() && !w.proxyPlaceholder()) {
            return new Injection(true, "the pod template already contains istio-proxy");
        }
        if (IGNORED_NAMESPACES.contains(w.namespace())) {
            return new Injection(false, "Istio's injector never injects pods in " + w.namespace());
        }
        String podLabel = w.podLabels().get(INJECT);
        String podAnnotation = w.podAnnotations().get(INJECT);
        if ("false".equalsIgnoreCase(podLabel)) {
            return new Injection(false, "pod label " + INJECT + "=false");
        }
        if (podLabel == null && "false".equalsIgnoreCase(podAnnotation)) {
            return new Injection(false, "pod annotation " + INJECT + "=false");
        }
        Map<String, String> ns = namespaceLabels(w.namespace());
        String nsInjection = ns.get(INJECTION_LABEL);
        if ("disabled".equals(nsInjection)) {
            return new Injection(false, "namespace label " + INJECTION_LABEL + "=disabled");
        }
        if ("true".equalsIgnoreCase(podLabel)) {
            return new Injection(true, "pod label " + INJECT + "=true");
        }
        if (w.podLabels().containsKey(REV_LABEL)) {
            return new Injection(true, "pod label " + REV_LABEL + "=" + w.podLabels().get(REV_LABEL));
        }
        if ("enabled".equals(nsInjection)) {
            return new Injection(true, "namespace label " + INJECTION_LABEL + "=enabled");
        }
        if (nsInjection == null && ns.containsKey(REV_LABEL)) {
            return new Injection(true, "namespace label " + REV_LABEL + "=" + ns.get(REV_LABEL));
        }
        return new Injection(false, "no injection label on the pod template or the namespace");
    }

    /** @param known false when nothing said either way and the answer is the conservative "not native" */
    public record NativeSidecars(boolean on, boolean known, String reason) {
    }

    /**
     * Native sidecars for the pod: never with the gateway template; else the pod annotation, an explicit native
     * istio-proxy in the template,
     * ENABLE_NATIVE_SIDECARS in istiod's values ({@code pilot.env} or its top-level alias: true, false or auto),
     * then the Istio version (auto by default from 1.27), where auto depends on every node's kubelet. Unknown counts
     * as off, since then a Job's sidecar keeps it running.
     */
    public NativeSidecars nativeSidecars(Workload w) {
        if (SidecarResources.gatewayTemplate(w)) {
            // The gateway template lists istio-proxy under containers, whatever the nativeSidecar annotation says;
            // only the sidecar template moves it.
            return new NativeSidecars(false, true, "the gateway injection template runs istio-proxy as a regular "
                    + "container");
        }
        Boolean annotation = Json.bool(w.podAnnotations().containsKey(NATIVE_SIDECAR_ANNOTATION)
                ? Json.F.textNode(w.podAnnotations().get(NATIVE_SIDECAR_ANNOTATION)) : null);
        if (annotation != null) {
            return new NativeSidecars(annotation, true, "pod annotation " + NATIVE_SIDECAR_ANNOTATION + "="
                    + annotation);
        }
        if (w.hasNativeSidecar()) {
            return new NativeSidecars(true, true, "the pod template runs istio-proxy as a native sidecar");
        }
        Optional<ValuesSource> source = istiodFor(revisionOf(w));
        if (source.isEmpty()) {
            return new NativeSidecars(false, false, "the Istio version is unknown (no istiod Helm release, Sail "
                    + "Istio or IstioOperator found), so native sidecars are assumed off");
        }
        ValuesSource s = source.get();
        for (String path : List.of("pilot.env.ENABLE_NATIVE_SIDECARS", "env.ENABLE_NATIVE_SIDECARS")) {
            JsonNode raw = s.value(path);
            if ("auto".equalsIgnoreCase(raw.asText(""))) {
                return byKubelets(s.path(path) + "=auto in " + s);
            }
            Boolean env = Json.bool(raw);
            if (env != null) {
                return new NativeSidecars(env, true, s.path(path) + "=" + env + " in " + s);
            }
        }
        int[] v = parseVersion(s.version());
        if (v == null) {
            return new NativeSidecars(false, false, "the Istio version of " + s + " is unknown, so native sidecars "
                    + "are assumed off");
        }
        boolean auto = v[0] > 1 || (v[0] == 1 && v[1] >= 27);
        if (!auto) {
            return new NativeSidecars(false, true, "Istio " + s.version() + " (" + s + ") predates native sidecars "
                    + "by default (1.27)");
        }
        return byKubelets("Istio " + s.version() + " (" + s + ") defaults ENABLE_NATIVE_SIDECARS to auto");
    }

    /**
     * ENABLE_NATIVE_SIDECARS=auto: on only when every node's kubelet is 1.33 or newer (istio
     * pkg/kube/inject/webhook.go, DetectNativeSidecar). One older node turns it off for every pod, since a pod may
     * land anywhere. A kubelet version that does not parse counts as old.
     */
    private NativeSidecars byKubelets(String why) {
        if (snapshot.nodes().isEmpty()) {
            return new NativeSidecars(true, true, why + "; the snapshot has no Nodes, so every kubelet was assumed "
                    + "to be 1.33 or newer");
        }
        for (Node n : snapshot.nodes()) {
            int[] k = parseVersion(n.kubeletVersion());
            if (k == null || k[0] < 1 || (k[0] == 1 && k[1] < 33)) {
                return new NativeSidecars(false, true, why + ", and node " + n.name() + " runs kubelet "
                        + (n.kubeletVersion() == null ? "of an unknown version" : n.kubeletVersion())
                        + " (older than 1.33), so pods get a classic sidecar");
            }
        }
        return new NativeSidecars(true, true, why + ", and every node's kubelet is 1.33 or newer");
    }

    /** {major, minor}, or null. Accepts {@code 1.27.3}, {@code v1.27.0}, {@code 1.27-dev}. */
    public static int[] parseVersion(String version) {
        if (version == null) {
            return null;
        }
        Matcher m = VERSION.matcher(version.trim());
        if (!m.lookingAt()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
}

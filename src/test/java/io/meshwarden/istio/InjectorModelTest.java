package io.meshwarden.istio;

import static io.meshwarden.testing.Fixtures.istiod;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import org.junit.jupiter.api.Test;

/**
 * The three places where the model disagreed with Istio's injector (istio pkg/kube/inject): a declared istio-proxy
 * container beats the annotations field by field, the gateway template sets no resources, and native sidecars under
 * ENABLE_NATIVE_SIDECARS=auto depend on every node's kubelet.
 */
class InjectorModelTest {
    static final String SHOP = namespace("shop", "{istio-injection: enabled}");

    static String deployment(String podAnnotations, String proxyContainer) {
        return """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  template:
                    metadata: {labels: {app: web}, annotations: %s}
                    spec:
                      containers:
                      - {name: web, image: web}
                %s
                """.formatted(podAnnotations, proxyContainer == null ? "" : "      - " + proxyContainer);
    }

    static SidecarResources resources(ClusterSnapshot s) {
        Workload w = s.workload(WorkloadKind.DEPLOYMENT, "shop", "web").orElseThrow();
        return SidecarResources.of(w, new Mesh(s));
    }

    @Test
    void aDeclaredIstioProxyContainerBeatsTheAnnotationsFieldByField() {
        SidecarResources r = resources(snapshot(SHOP, istiod("1.26.3", "{}"), deployment(
                "{sidecar.istio.io/proxyCPU: 300m, sidecar.istio.io/proxyMemory: 256Mi}",
                "{name: istio-proxy, image: auto, resources: {requests: {cpu: 500m}}}")));
        assertEquals("500m", r.cpu(), "the container's request wins");
        assertEquals("256Mi", r.memory(), "a field the container leaves out comes from the annotations");
        assertNull(r.cpuLimit(), "annotations set: global.proxy.resources does not apply to this pod");
        assertTrue(r.declared());
        assertTrue(r.path().endsWith(".spec.containers[istio-proxy].resources"), r.path());
    }

    @Test
    void theGatewayTemplateIgnoresProxyAnnotations() {
        SidecarResources r = resources(snapshot(SHOP, istiod("1.26.3", "{}"), deployment(
                "{inject.istio.io/templates: gateway, sidecar.istio.io/proxyCPU: 300m}",
                "{name: istio-proxy, image: auto, resources: {requests: {cpu: 100m, memory: 128Mi}}}")));
        assertEquals("100m", r.cpu());
        assertEquals("128Mi", r.memory());
        assertNull(r.cpuLimit(), "the gateway template sets no limits, and neither did the container");
        assertTrue(r.gatewayTemplate());

        SidecarResources bare = resources(snapshot(SHOP, istiod("1.26.3", "{}"),
                deployment("{inject.istio.io/templates: gateway, sidecar.istio.io/proxyCPU: 300m}", null)));
        assertNull(bare.cpu(), "no resources at all: neither the annotation nor global.proxy.resources");
    }

    @Test
    void withoutAnnotationsOrAContainerGlobalProxyResourcesApply() {
        SidecarResources r = resources(snapshot(SHOP, istiod("1.26.3", "{}"), deployment("{}", null)));
        assertEquals("100m", r.cpu());
        assertEquals("2000m", r.cpuLimit());
        assertFalse(r.declared());
    }

    static String node(String name, String kubelet) {
        return """
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: %s}
                status: {nodeInfo: {kubeletVersion: %s}}
                """.formatted(name, kubelet);
    }

    static Mesh.NativeSidecars nativeSidecars(String... docs) {
        ClusterSnapshot s = snapshot(docs);
        return new Mesh(s).nativeSidecars(s.workload(WorkloadKind.DEPLOYMENT, "shop", "web").orElseThrow());
    }

    @Test
    void autoNativeSidecarsNeedEveryKubeletAt133() {
        String web = deployment("{}", null);
        assertTrue(nativeSidecars(SHOP, web, istiod("1.28.0", "{}"), node("a", "v1.33.1"), node("b", "v1.34.0"))
                .on());
        Mesh.NativeSidecars oneOld = nativeSidecars(SHOP, web, istiod("1.28.0", "{}"), node("a", "v1.34.0"),
                node("b", "v1.32.5"));
        assertFalse(oneOld.on());
        assertTrue(oneOld.reason().contains("node b runs kubelet v1.32.5"), oneOld.reason());
        Mesh.NativeSidecars explicitAuto = nativeSidecars(SHOP, web, node("b", "v1.31.0"),
                istiod("1.28.0", "{pilot: {env: {ENABLE_NATIVE_SIDECARS: auto}}}"));
        assertFalse(explicitAuto.on());
        assertTrue(nativeSidecars(SHOP, web, node("b", "v1.31.0"),
                istiod("1.28.0", "{pilot: {env: {ENABLE_NATIVE_SIDECARS: true}}}")).on(), "true forces it on");
        Mesh.NativeSidecars noNodes = nativeSidecars(SHOP, web, istiod("1.28.0", "{}"));
        assertTrue(noNodes.on());
        assertTrue(noNodes.reason().contains("no Nodes"), noNodes.reason());
        assertFalse(nativeSidecars(SHOP, web, istiod("1.26.0", "{}"), node("a", "v1.34.0")).on(),
                "before 1.27 the default is off whatever the nodes");
    }

    // Found by InjectionDifferentialE2E against Istio's injector; each was a disagreement before its fix.

    @Test
    void theApiServerDefaultsARequestToItsLimit() {
        SidecarResources declared = resources(snapshot(SHOP, istiod("1.26.3", "{}"),
                deployment("{}", "{name: istio-proxy, image: auto, resources: {limits: {cpu: 900m}}}")));
        assertEquals("900m", declared.cpu(), "the declared limit became the declared request before injection");
        SidecarResources annotation = resources(snapshot(SHOP, istiod("1.26.3", "{}"),
                deployment("{sidecar.istio.io/proxyCPULimit: 700m}", null)));
        assertEquals("700m", annotation.cpu(), "after the webhook, the injected limit gives the request");
        assertNull(annotation.memory(), "no memory limit, no memory request: annotations replace the defaults");
    }

    @Test
    void theGatewayTemplateNeverMakesANativeSidecar() {
        Mesh.NativeSidecars n = nativeSidecars(SHOP, istiod("1.28.0", "{pilot: {env: {ENABLE_NATIVE_SIDECARS: true}}}"),
                deployment("{inject.istio.io/templates: gateway, sidecar.istio.io/nativeSidecar: \"true\"}", null));
        assertFalse(n.on(), n.reason());
    }

    @Test
    void anAutoImagePlaceholderIsNotAnInjectedProxy() {
        String optedOut = """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  template:
                    metadata: {labels: {app: web, sidecar.istio.io/inject: "false"}}
                    spec:
                      containers:
                      - {name: web, image: web}
                      - {name: istio-proxy, image: %s}
                """;
        ClusterSnapshot placeholder = snapshot(SHOP, optedOut.formatted("auto"));
        Workload w = placeholder.workload(WorkloadKind.DEPLOYMENT, "shop", "web").orElseThrow();
        assertFalse(new Mesh(placeholder).injection(w).injected(), "the injector skips it: image auto stays unfilled");
        ClusterSnapshot manual = snapshot(SHOP, optedOut.formatted("docker.io/istio/proxyv2:1.28.0"));
        Workload m = manual.workload(WorkloadKind.DEPLOYMENT, "shop", "web").orElseThrow();
        assertTrue(new Mesh(manual).injection(m).injected(), "a manually injected proxy runs as it is");
    }
}

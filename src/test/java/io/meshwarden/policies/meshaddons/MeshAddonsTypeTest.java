package io.meshwarden.policies.meshaddons;

import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyValidationException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MeshAddonsTypeTest {
    static final Path SAMPLES = Path.of("src/test/resources/addons/istio-samples");
    static final MeshPolicy NONE_ALLOWED = policy("addons", "MeshAddons", "{}");
    static final MeshPolicy ALL_ALLOWED = policy("addons", "MeshAddons",
            "{allowed: [kiali, grafana, jaeger, prometheus]}");

    static RuleOutcome run(MeshPolicy p, ClusterSnapshot s) {
        return MeshAddonsType.TYPE.evaluate(p, s);
    }

    /** Rule id to the resources it reported, for whole-outcome comparisons. */
    static Map<String, List<String>> byRule(RuleOutcome o) {
        Map<String, List<String>> out = new TreeMap<>();
        for (Finding f : o.findings()) {
            out.computeIfAbsent(f.rule(), k -> new java.util.ArrayList<>()).add(f.resource().toString());
        }
        return out;
    }

    @Test
    void istioSamplesAsTheyShipFailEveryDemoCheck() {
        ClusterSnapshot s = new ManifestDirectoryLoader().load(SAMPLES);
        RuleOutcome o = run(NONE_ALLOWED, s);
        assertEquals(Map.of(
                "addon-not-allowed", List.of("Deployment istio-system/grafana", "Deployment istio-system/jaeger",
                        "Deployment istio-system/kiali", "Deployment istio-system/prometheus"),
                "addon-kiali-anonymous", List.of("ConfigMap istio-system/kiali"),
                "addon-grafana-open", List.of("Deployment istio-system/grafana"),
                "addon-ephemeral-storage", List.of("Deployment istio-system/grafana", "Deployment istio-system/jaeger",
                        "Deployment istio-system/prometheus"),
                "addon-resources-missing", List.of("Deployment istio-system/grafana",
                        "Deployment istio-system/prometheus")), byRule(o));
        // Per add-on: allowed, storage, exposure, resources; plus Kiali's and Grafana's auth.
        assertEquals(4 * 4 - 1 + 2, o.checks(), "Kiali has no storage check");
        Finding grafana = only(o, "addon-grafana-open");
        assertTrue(grafana.actual().contains("anonymous access is on (role Admin"), grafana.actual());
        assertTrue(grafana.actual().contains("default \"admin\""), grafana.actual());
        Finding jaeger = findings(o, "addon-ephemeral-storage").get(1);
        assertEquals("on emptyDir volume(s) data", jaeger.actual());
    }

    @Test
    void kialiConfigMapRemedyKeepsEveryOtherKeyOfTheSample() {
        ClusterSnapshot s = new ManifestDirectoryLoader().load(SAMPLES);
        Finding f = only(run(ALL_ALLOWED, s), "addon-kiali-anonymous");
        Remedy r = f.remedy();
        assertEquals(Remedy.PATCH, r.action());
        assertEquals(new ResourceRef("v1", "ConfigMap", "istio-system", "kiali"), r.target());
        String before = s.addonConfigsIn("istio-system").stream().filter(c -> c.name().equals("kiali")).findFirst()
                .orElseThrow().data().get("config.yaml");
        var was = Json.parseYaml(before);
        var now = Json.parseYaml(r.patch().at("/data/config.yaml").asText());
        assertEquals("token", now.at("/auth/strategy").asText());
        ((com.fasterxml.jackson.databind.node.ObjectNode) now.get("auth")).put("strategy", "anonymous");
        assertEquals(was, now, "only the strategy changes");
    }

    static String kialiCr(String strategy) {
        return """
                apiVersion: kiali.io/v1alpha1
                kind: Kiali
                metadata: {name: kiali, namespace: istio-system}
                spec: {auth: {strategy: %s}}
                """.formatted(strategy);
    }

    static final String KIALI = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: kiali, namespace: istio-system, labels: {app: kiali}}
            spec:
              selector: {matchLabels: {app: kiali}}
              template:
                metadata: {labels: {app: kiali}}
                spec:
                  containers: [{name: kiali, image: "quay.io/kiali/kiali:v2.27@sha256:abc", resources: {requests: {cpu: 10m}}}]
                  volumes: [{name: config, configMap: {name: kiali}}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: kiali, namespace: istio-system, labels: {app.kubernetes.io/name: kiali}}
            data:
              config.yaml: "auth: {strategy: anonymous}"
            """;

    @Test
    void theKialiResourceWinsOverTheConfigMapItRenders() {
        Finding f = only(run(ALL_ALLOWED, snapshot(KIALI, kialiCr("anonymous"))), "addon-kiali-anonymous");
        assertEquals(new ResourceRef("kiali.io/v1alpha1", "Kiali", "istio-system", "kiali"), f.resource());
        assertEquals(Json.nest("spec.auth.strategy", Json.F.textNode("token")), f.remedy().patch());
        assertTrue(f.remedy().restartsPods(), "the operator re-deploys the server");
        RuleOutcome safe = run(ALL_ALLOWED, snapshot(KIALI, kialiCr("openid")));
        assertTrue(findings(safe, "addon-kiali-anonymous").isEmpty(), "the CR says openid; the stale ConfigMap "
                + "is the operator's to rewrite");
    }

    @Test
    void kialiWithoutStrategyUsesKialisDefaultToken() {
        RuleOutcome o = run(ALL_ALLOWED, snapshot(KIALI.replace("auth: {strategy: anonymous}", "server: {port: 1}")));
        assertTrue(o.findings().isEmpty(), o.findings()::toString);
    }

    static String grafana(String env, String ini) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: dashboards, namespace: observability}
                spec:
                  selector: {matchLabels: {app: dashboards}}
                  template:
                    metadata: {labels: {app: dashboards}}
                    spec:
                      containers:
                      - name: grafana
                        image: grafana/grafana:11.1.0
                        resources: {requests: {cpu: 100m}}
                        env: %s
                      volumes:
                      - {name: config, configMap: {name: dashboards-config}}
                      - {name: data, persistentVolumeClaim: {claimName: grafana}}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: dashboards-config, namespace: observability, labels: {app.kubernetes.io/name: grafana}}
                data:
                  grafana.ini: |
                %s
                """.formatted(env, ini.indent(4).stripTrailing());
    }

    static final String SECRET_PASSWORD = "[{name: GF_SECURITY_ADMIN_PASSWORD, valueFrom: {secretKeyRef: {name: g, key: p}}}]";

    @Test
    void grafanaFoundByImageAloneAndJudgedOnItsIniFile() {
        RuleOutcome open = run(ALL_ALLOWED, snapshot(grafana(SECRET_PASSWORD,
                "[auth.anonymous]\nenabled = true\n; org_role = Admin")));
        Finding f = only(open, "addon-grafana-open");
        assertEquals("anonymous access is on (role Viewer, grafana.ini [auth.anonymous] enabled)", f.actual());
        assertEquals("data[\"grafana.ini\"]", f.path());
        assertEquals(Remedy.NONE, f.remedy().action());
        RuleOutcome envWins = run(ALL_ALLOWED, snapshot(grafana(
                "[{name: GF_AUTH_ANONYMOUS_ENABLED, value: \"false\"}, " + SECRET_PASSWORD.substring(1),
                "[auth.anonymous]\nenabled = true")));
        assertTrue(envWins.findings().isEmpty(), "the environment overrides grafana.ini: "
                + envWins.findings());
    }

    @Test
    void grafanaWithNoPasswordSetKeepsTheDefaultAdmin() {
        Finding f = only(run(ALL_ALLOWED, snapshot(grafana("[]", "[server]\nroot_url = x"))), "addon-grafana-open");
        assertTrue(f.actual().contains("nothing sets another"), f.actual());
        assertTrue(findings(run(ALL_ALLOWED, snapshot(grafana("[]", "[security]\nadmin_password = s3cret!"))),
                "addon-grafana-open").isEmpty());
        assertTrue(findings(run(ALL_ALLOWED, snapshot(grafana("[]", "[security]\nadmin_password = $__file{/p}"))),
                "addon-grafana-open").isEmpty(), "an expanded value is not the default");
        assertTrue(findings(run(ALL_ALLOWED, snapshot(grafana(
                "[{name: GF_SECURITY_ADMIN_PASSWORD__FILE, value: /etc/secrets/p}]", ""))),
                "addon-grafana-open").isEmpty());
    }

    static String jaeger(String image, String env, String volumes) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: tracing, namespace: tracing}
                spec:
                  selector: {matchLabels: {app: tracing}}
                  template:
                    metadata: {labels: {app: tracing}}
                    spec:
                      containers: [{name: jaeger, image: %s, resources: {requests: {cpu: 10m}}, env: %s}]
                      volumes: %s
                """.formatted(image, env, volumes);
    }

    @Test
    void jaegerStorage() {
        Finding memory = only(run(ALL_ALLOWED, snapshot(jaeger("jaegertracing/all-in-one:1.57", "[]", "[]"))),
                "addon-ephemeral-storage");
        assertEquals("in memory (all-in-one, SPAN_STORAGE_TYPE unset)", memory.actual());
        assertTrue(run(ALL_ALLOWED, snapshot(jaeger("jaegertracing/all-in-one:1.57",
                "[{name: SPAN_STORAGE_TYPE, value: elasticsearch}]", "[]"))).findings().isEmpty());
        assertEquals(1, findings(run(ALL_ALLOWED, snapshot(jaeger("jaegertracing/all-in-one:1.57",
                "[{name: SPAN_STORAGE_TYPE, value: badger}]", "[{name: d, emptyDir: {}}]"))),
                "addon-ephemeral-storage").size(), "badger on an emptyDir");
        assertTrue(run(ALL_ALLOWED, snapshot(jaeger("docker.io/jaegertracing/jaeger:2.17.0", "[]", "[]")))
                .findings().isEmpty(), "Jaeger 2 without volumes stores in a configured backend");
        assertTrue(run(ALL_ALLOWED, snapshot(jaeger("docker.io/jaegertracing/jaeger:2.17.0", "[]",
                "[{name: d, ephemeral: {volumeClaimTemplate: {spec: {}}}}]"))).findings().isEmpty());
    }

    @Test
    void operatorManagedPrometheusIsNotTheDemoButAStatefulSetClaimIsPersistent() {
        String operatorManaged = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: prometheus-k8s, namespace: monitoring, labels: {operator.prometheus.io/name: k8s}}
                spec:
                  selector: {matchLabels: {app.kubernetes.io/name: prometheus}}
                  template:
                    metadata: {labels: {app.kubernetes.io/name: prometheus, operator.prometheus.io/name: k8s}}
                    spec: {containers: [{name: prometheus, image: quay.io/prometheus/prometheus:v3.1.0}]}
                """;
        RuleOutcome o = run(NONE_ALLOWED, snapshot(operatorManaged));
        assertEquals(0, o.checks(), "not an add-on at all");
        String ownStatefulSet = """
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: prometheus, namespace: monitoring}
                spec:
                  selector: {matchLabels: {app: prom}}
                  template:
                    metadata: {labels: {app: prom}}
                    spec: {containers: [{name: p, image: prom/prometheus:v3.1.0, resources: {requests: {cpu: 1}}}]}
                  volumeClaimTemplates: [{metadata: {name: data}}]
                """;
        assertTrue(run(ALL_ALLOWED, snapshot(ownStatefulSet)).findings().isEmpty());
        assertEquals(List.of("addon-not-allowed"), run(NONE_ALLOWED, snapshot(ownStatefulSet)).findings().stream()
                .map(Finding::rule).toList(), "found by image, whatever its name and namespace");
    }

    static final String VS = """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ops, namespace: ingress}
            spec:
              hosts: [ops.example.com]
              gateways: [%s]
              http:
              - match: [{uri: {prefix: /kiali}}]
                route: [{destination: {host: %s}}]
            """;
    static final String KIALI_SERVICE = """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: kiali, namespace: istio-system}
            spec: {type: %s, selector: {app: kiali}, ports: [{name: http, port: 20001}]}
            """;

    @Test
    void exposureThroughServicesAndGatewayRoutes() {
        String safeKiali = KIALI.replace("anonymous", "token");
        Finding lb = only(run(ALL_ALLOWED, snapshot(safeKiali + KIALI_SERVICE.formatted("LoadBalancer"))),
                "addon-exposed");
        assertEquals(Json.nest("spec.type", Json.F.textNode("ClusterIP")), lb.remedy().patch());
        assertEquals(new ResourceRef("v1", "Service", "istio-system", "kiali"), lb.remedy().target());
        String clusterIp = safeKiali + KIALI_SERVICE.formatted("ClusterIP");
        Finding routed = only(run(ALL_ALLOWED, snapshot(clusterIp + VS.formatted("istio-ingress/public",
                "kiali.istio-system.svc.cluster.local"))), "addon-exposed");
        assertEquals("VirtualService ingress/ops", routed.resource().toString());
        assertEquals(Remedy.NONE, routed.remedy().action());
        assertTrue(run(ALL_ALLOWED, snapshot(clusterIp + VS.formatted("mesh", "kiali.istio-system"))).findings()
                .isEmpty(), "mesh-internal routing is not exposure");
        assertTrue(run(ALL_ALLOWED, snapshot(clusterIp + VS.formatted("public", "kiali"))).findings().isEmpty(),
                "a short host resolves in the VirtualService's namespace: ingress/kiali is another service");
        MeshPolicy allowed = policy("addons", "MeshAddons", "{allowed: [kiali], allowExposure: true}");
        assertTrue(run(allowed, snapshot(safeKiali + KIALI_SERVICE.formatted("NodePort"))).findings().isEmpty());
    }

    @Test
    void exemptionAndTargetApply() {
        MeshPolicy elsewhere = policy("addons", "MeshAddons", "{}", "target: {namespaces: {include: [shop]}}");
        assertEquals(0, run(elsewhere, snapshot(KIALI)).checks());
        String exempt = KIALI.replace("labels: {app: kiali}}", "labels: {app: kiali}, annotations: "
                + "{meshwarden.io/exempt: addons}}");
        assertEquals(0, run(NONE_ALLOWED, snapshot(exempt)).checks());
    }

    @Test
    void unknownAddOnIsRejectedWithItsPath() {
        PolicyValidationException e = org.junit.jupiter.api.Assertions.assertThrows(PolicyValidationException.class,
                () -> policy("addons", "MeshAddons", "{allowed: [zipkin]}"));
        assertTrue(e.getMessage().contains("allowed"), e.getMessage());
        assertTrue(e.getMessage().contains("zipkin"), e.getMessage());
    }

    @Test
    void parametersRoundTrip() {
        MeshPolicy p = policy("addons", "MeshAddons", "{allowed: [grafana], allowExposure: true}");
        assertEquals(p, PolicyTypes.CODEC.read(io.meshwarden.policy.PolicyCodec.write(p)));
        MeshAddonsParameters defaults = (MeshAddonsParameters) NONE_ALLOWED.spec().parameters();
        assertEquals(List.of(), defaults.allowed());
        assertFalse(defaults.allowExposure());
    }

    @Test
    void ordinaryWorkloadsKeepNoPodDetails() {
        ClusterSnapshot s = snapshot(io.meshwarden.testing.Fixtures.deployment("shop", "cart", 2, "{app: cart}",
                "{}"));
        assertNull(s.workloads().get(0).pod(), "memory: only add-ons keep containers and volumes");
    }
}

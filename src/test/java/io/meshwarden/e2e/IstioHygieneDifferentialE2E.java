package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.istio.SidecarResources;
import io.meshwarden.policies.istiohygiene.IstioHygieneType;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * IstioHygiene's verdicts on the proxy resource annotations and {@code proxy.istio.io/config} against Istio's own
 * injection webhook (the oracle, src/test/istio): where Meshwarden says the injector refuses the pod, the injector must
 * refuse it, and where Meshwarden finds nothing (or only unknown ProxyConfig fields, which Istio drops), the injector
 * must inject it. The cases avoid values that Istio's semantic ProxyConfig checks refuse, which Meshwarden does not
 * model (its page says so).
 */
class IstioHygieneDifferentialE2E {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final MeshPolicy POLICY = Fixtures.policy("hygiene", "IstioHygiene", "{}");
    static final String CONFIG = "proxy.istio.io/config";

    record Case(String id, Map<String, String> annotations) {
    }

    static Stream<String> versions() {
        String only = System.getProperty("meshwarden.istio.versions", "");
        return IstioTools.versions().stream().filter(v -> only.isEmpty() || List.of(only.split(",")).contains(v));
    }

    static List<Case> corpus() {
        List<Case> out = new ArrayList<>();
        String[] cpu = {"100m", "0.5", "1", "2000m", "1e3", "+1", "500u", "200 m", "abc", "", " 100m", "100m ",
            "1.5.5", "0x10", "--1", "100mi", "1,5", "-100m", "1Ki"};
        String[] memory = {"128Mi", "1Gi", "500M", "1e9", "128MB", "128 Mi", "128mi", "1.5Gi", "-1Gi"};
        for (String v : cpu) {
            out.add(new Case("cpu=" + v, Map.of(SidecarResources.CPU, v)));
            out.add(new Case("cpuLimit=" + v, Map.of(SidecarResources.CPU_LIMIT, v)));
        }
        for (String v : memory) {
            out.add(new Case("memory=" + v, Map.of(SidecarResources.MEMORY, v)));
            out.add(new Case("memoryLimit=" + v, Map.of(SidecarResources.MEMORY_LIMIT, v)));
        }
        String[] configs = {
            // valid
            "", "{}", "holdApplicationUntilProxyStarts: true", "hold_application_until_proxy_starts: true",
            "concurrency: 2", "concurrency: \"2\"", "drainDuration: 45s", "terminationDrainDuration: 1m30s",
            "tracing: {sampling: 5}", "tracing: {sampling: \"5\"}", "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}",
            "interceptionMode: REDIRECT", "interceptionMode: 1", "image: {imageType: distroless}",
            "proxyStatsMatcher: {inclusionRegexps: [\".*outlier.*\"]}", "terminationDrainDuration: null",
            "{\"holdApplicationUntilProxyStarts\": true, \"concurrency\": 2}", "extraStatTags: [a, b]",
            "tracing: {customTags: {env: {literal: {value: x}}}}",
            // unknown fields only: Istio drops them
            "holdApplicationUntilProxyStart: true", "tracing: {samplng: 5}", "foo: 1", "Concurrency: 2",
            // wrong types and syntax: Istio refuses
            "proxyMetadata: {ISTIO_META_DNS_CAPTURE: true}", "drainDuration: 45", "concurrency: two",
            "concurrency: 1.5", "holdApplicationUntilProxyStarts: \"yes\"", "holdApplicationUntilProxyStarts: yes",
            "extraStatTags: foo", "interceptionMode: TPROXYY", "tracing: [1]", "- a", "tracing: {sampling: 1",
            "statusPort: 99999999999", "proxyMetadata: {A: 1}", "drainDuration: 45x", "tracing: {sampling: abc}",
            "concurrency: 2\nconcurrency: 3", "just a string"};
        for (int i = 0; i < configs.length; i++) {
            out.add(new Case("config" + i + "=" + configs[i], Map.of(CONFIG, configs[i])));
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void istiosInjectorAgreesWithTheHygieneRules(String version) {
        List<Case> cases = corpus();
        JsonNode rendered = IstioTools.render(version, "{}\n", "istio-system");
        List<ObjectNode> oracleCases = new ArrayList<>();
        for (Case c : cases) {
            oracleCases.add(oracleCase(c, rendered));
        }
        List<JsonNode> answers = IstioTools.inject(version, oracleCases);
        Map<String, String> disagreements = new LinkedHashMap<>();
        int refused = 0;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String error = answers.get(i).path("error").asText("");
            assertTrue(error.isEmpty() || error.startsWith("injector:"), c.id() + ": the oracle failed: " + error);
            boolean istioRefuses = !error.isEmpty();
            assertTrue(istioRefuses || answers.get(i).path("injected").asBoolean(), c.id() + " was not injected");
            String meshwarden = verdict(c);
            boolean meshwardenRefuses = meshwarden != null && meshwarden.contains("injector refuses");
            refused += istioRefuses ? 1 : 0;
            if (istioRefuses != meshwardenRefuses) {
                disagreements.put(c.id(), "istio: " + (istioRefuses ? error : "injects") + " | meshwarden: "
                        + (meshwarden == null ? "no finding" : meshwarden));
            }
        }
        disagreements.forEach((k, v) -> System.out.println("DISAGREE " + version + " " + k + " -> " + v));
        System.out.printf("hygiene differential %s: %d cases, %d refused by the injector, %d disagreements%n",
                version, cases.size(), refused, disagreements.size());
        assertTrue(refused > 10 && refused < cases.size() - 10, "the corpus must hold both kinds");
        assertEquals(Map.of(), disagreements);
    }

    /** The message of Meshwarden's quantity or ProxyConfig finding for the case, or null. */
    static String verdict(Case c) {
        String annotations = Fixtures.JSON.valueToTree(c.annotations()).toString();
        RuleOutcome o = IstioHygieneType.TYPE.evaluate(POLICY, Fixtures.snapshot(
                Fixtures.namespace("shop", "{istio-injection: enabled}"),
                Fixtures.deployment("shop", "web", 1, "{app: web}", annotations)));
        for (Finding f : o.findings()) {
            if (f.rule().equals("istio-proxy-resources-invalid") || f.rule().equals("istio-proxy-config-invalid")) {
                return f.message();
            }
        }
        return null;
    }

    static ObjectNode oracleCase(Case c, JsonNode rendered) {
        ObjectNode o = F.objectNode().put("id", c.id()).put("namespace", "shop");
        ObjectNode pod = o.putObject("pod");
        ObjectNode md = pod.putObject("metadata").put("generateName", "web-").put("namespace", "shop");
        md.putObject("labels").put("app", "web");
        c.annotations().forEach(md.putObject("annotations")::put);
        ArrayNode containers = pod.putObject("spec").putArray("containers");
        containers.addObject().put("name", "web").put("image", "web");
        o.putObject("namespaceLabels").put("istio-injection", "enabled");
        o.put("webhooks", rendered.path("webhooks").asText());
        o.put("injectorConfig", rendered.path("injectorConfig").asText());
        o.put("injectorValues", rendered.path("injectorValues").asText());
        o.put("meshConfig", rendered.path("meshConfig").asText());
        o.putArray("nodes").addObject().put("name", "n1").put("kubeletVersion", "v1.34.1");
        ObjectNode env = o.putObject("env");
        rendered.path("istiodEnv").fields().forEachRemaining(e -> env.set(e.getKey(), e.getValue()));
        return o;
    }
}

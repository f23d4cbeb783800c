package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.SidecarResources;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.testing.Fixtures;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's injector is the judge of Meshwarden's model of it. A corpus of pod templates (every workload kind, every
 * subset of the four proxy annotations, a declared istio-proxy container with every subset of requests and limits,
 * the sidecar and gateway templates, the nativeSidecar annotation, kubelet versions, global.proxy.resources,
 * ENABLE_NATIVE_SIDECARS and proxy.istio.io/config tracing) goes through Istio's real injection webhook (the oracle
 * of src/test/istio, fed the injector config and values that real Helm renders from the real istiod chart) and through
 * Meshwarden's model; every field must agree. Disagreements are written to target/differential/VERSION.jsonl.
 */
class InjectionDifferentialE2E {
    static final int CASES_PER_VERSION = 544;
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final List<String> ANNOTATIONS = SidecarResources.ANNOTATIONS;
    static final Map<String, String> ANNOTATION_VALUES = Map.of(SidecarResources.CPU, "300m",
            SidecarResources.CPU_LIMIT, "700m", SidecarResources.MEMORY, "200Mi", SidecarResources.MEMORY_LIMIT,
            "500Mi");
    /** requests.cpu, requests.memory, limits.cpu, limits.memory of a declared istio-proxy container. */
    static final String[][] DECLARED = {{"requests", "cpu", "450m"}, {"requests", "memory", "320Mi"},
        {"limits", "cpu", "900m"}, {"limits", "memory", "640Mi"}};
    static final String CUSTOM_PROXY_RESOURCES = "{requests: {cpu: 150m, memory: 192Mi}, limits: {cpu: 1500m, "
            + "memory: 768Mi}}";
    static final MeshPolicy SAMPLING = Fixtures.policy("sampling", "TraceSampling", "{maxPercent: 0}");

    /** One generated input, in the terms both sides understand. */
    record Case(String id, WorkloadKind kind, int annotations, int declared, boolean gateway, String nativeAnnotation,
            boolean oldNode, boolean customResources, String nativeEnv, String tracing, String podInject,
            String namespace) {
    }

    /** Namespaces and their labels; the webhooks' selectors and the injector's ignored namespaces both matter. */
    static final Map<String, Map<String, String>> NAMESPACES = new LinkedHashMap<>();

    static {
        NAMESPACES.put("shop", Map.of("istio-injection", "enabled"));
        NAMESPACES.put("plain", Map.of());
        NAMESPACES.put("revns", Map.of("istio.io/rev", "default"));
        NAMESPACES.put("off", Map.of("istio-injection", "disabled"));
        NAMESPACES.put("kube-system", Map.of());
    }

    /** Both pinned versions; {@code -Dmeshwarden.istio.versions=V1,V2} narrows it for a quick run. */
    static Stream<String> versions() {
        String only = System.getProperty("meshwarden.istio.versions", "");
        return IstioTools.versions().stream().filter(v -> only.isEmpty() || List.of(only.split(",")).contains(v));
    }

    static List<Case> corpus() {
        Random random = new Random(20261130L);
        List<Case> out = new ArrayList<>();
        WorkloadKind[] kinds = WorkloadKind.values();
        String[] natives = {null, "true", "false"};
        String[] envs = {null, "auto", "true", "false"};
        String[] tracing = {null, null, "{tracing: {sampling: 5}}", "{tracing: {sampling: 0.25}}"};
        String[] podInject = {null, null, null, null, "true", "true", "true", "false"};
        String[] namespaces = {"shop", "shop", "shop", "shop", "shop", "shop", "plain", "revns", "off", "kube-system"};
        for (int round = 0; round < 2; round++) {
            for (int a = 0; a < 16; a++) {
                for (int d = 0; d < 17; d++) {
                    int n = out.size();
                    out.add(new Case("c" + n, kinds[n % kinds.length], a, d, random.nextInt(4) == 0,
                            natives[random.nextInt(3)], random.nextBoolean(), random.nextBoolean(),
                            envs[random.nextInt(4)], tracing[random.nextInt(4)], podInject[random.nextInt(8)],
                            namespaces[random.nextInt(10)]));
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void istiosInjectorAgreesWithTheModel(String version) throws IOException {
        List<Case> cases = corpus();
        assertTrue(cases.size() >= 500 && cases.size() == CASES_PER_VERSION);
        String chartDefaults = Files.readString(IstioTools.charts(version)
                .resolve("istio-control/istio-discovery/values.yaml"));
        Map<String, JsonNode> rendered = new TreeMap<>();
        List<ObjectNode> oracleCases = new ArrayList<>();
        for (Case c : cases) {
            String values = values(c);
            JsonNode r = rendered.computeIfAbsent(values, v -> IstioTools.render(version, v, "istio-system"));
            oracleCases.add(oracleCase(c, r));
        }
        List<JsonNode> answers = IstioTools.inject(version, oracleCases);

        List<String> disagreements = new ArrayList<>();
        int injected = 0;
        int nativeCount = 0;
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            JsonNode istio = answers.get(i);
            assertEquals("", istio.path("error").asText(""), c + " was refused by the injector");
            ClusterSnapshot s = Fixtures.snapshot(snapshotDocs(c, chartDefaults));
            Workload w = s.workloads().get(0);
            Mesh mesh = new Mesh(s);
            boolean modelInjected = mesh.injection(w).injected();
            Map<String, String> diffs = new LinkedHashMap<>();
            compare(diffs, "injected", istio.path("injected").asBoolean(), modelInjected);
            if (istio.path("injected").asBoolean()) {
                injected++;
                boolean modelNative = mesh.nativeSidecars(w).on();
                nativeCount += istio.path("nativeSidecar").asBoolean() ? 1 : 0;
                compare(diffs, "proxyIn", istio.path("proxyIn").asText(), modelNative ? "initContainers"
                        : "containers");
                SidecarResources r = SidecarResources.of(w, mesh);
                quantity(diffs, "requests.cpu", istio.at("/requests/cpu"), r.cpu());
                quantity(diffs, "requests.memory", istio.at("/requests/memory"), r.memory());
                quantity(diffs, "limits.cpu", istio.at("/limits/cpu"), r.cpuLimit());
                quantity(diffs, "limits.memory", istio.at("/limits/memory"), r.memoryLimit());
                if (c.tracing() != null && w.kind().longRunning()) {
                    // The pod's proxy.istio.io/config decides the rate here; no Telemetry is in the corpus.
                    List<Finding> f = PolicyTypes.EVALUATOR.evaluate(List.of(SAMPLING), s).findings();
                    String model = f.isEmpty() ? "0" : f.get(0).actual();
                    quantity(diffs, "tracing.sampling", istio.path("proxyConfigTracingSampling"), model);
                }
            }
            if (!diffs.isEmpty()) {
                disagreements.add(JsonNodeFactory.instance.objectNode().put("case", c.toString())
                        .put("diffs", diffs.toString()).put("model", mesh.nativeSidecars(w).reason())
                        .toString());
            }
        }
        Path report = Path.of("target", "differential", version + ".jsonl");
        Files.createDirectories(report.getParent());
        Files.write(report, disagreements);
        System.out.printf("injection differential %s: %d cases, %d injected, %d native, %d disagreements%n", version,
                cases.size(), injected, nativeCount, disagreements.size());
        assertTrue(injected > cases.size() / 2 && nativeCount > 0 && nativeCount < injected,
                "the corpus covers both outcomes");
        assertEquals(List.of(), disagreements.subList(0, Math.min(10, disagreements.size())),
                disagreements.size() + " disagreements, all in " + report);
    }

    private static void compare(Map<String, String> diffs, String field, Object istio, Object model) {
        if (!Objects.equals(istio, model)) {
            diffs.put(field, "istio=" + istio + " model=" + model);
        }
    }

    private static void quantity(Map<String, String> diffs, String field, JsonNode istio, String model) {
        String i = istio == null || istio.isMissingNode() || istio.isNull() ? null : istio.asText();
        BigDecimal a = i == null ? null : Quantity.getAmountInBytes(Quantity.parse(i));
        BigDecimal b = model == null ? null : Quantity.getAmountInBytes(Quantity.parse(model));
        if (a == null ? b != null : b == null || a.compareTo(b) != 0) {
            diffs.put(field, "istio=" + i + " model=" + model);
        }
    }

    /** The istiod values of the case, as both the chart render and the Helm release get them. */
    static String values(Case c) {
        StringBuilder v = new StringBuilder();
        if (c.customResources()) {
            v.append("global:\n  proxy:\n    resources: ").append(CUSTOM_PROXY_RESOURCES).append('\n');
        }
        if (c.nativeEnv() != null) {
            v.append("pilot:\n  env:\n    ENABLE_NATIVE_SIDECARS: \"").append(c.nativeEnv()).append("\"\n");
        }
        return v.length() == 0 ? "{}\n" : v.toString();
    }

    static Map<String, String> podAnnotations(Case c) {
        Map<String, String> a = new TreeMap<>();
        for (int bit = 0; bit < 4; bit++) {
            if ((c.annotations() & (1 << bit)) != 0) {
                a.put(ANNOTATIONS.get(bit), ANNOTATION_VALUES.get(ANNOTATIONS.get(bit)));
            }
        }
        if (c.gateway()) {
            a.put(SidecarResources.TEMPLATES, "gateway");
        }
        if (c.nativeAnnotation() != null) {
            a.put(Mesh.NATIVE_SIDECAR_ANNOTATION, c.nativeAnnotation());
        }
        if (c.tracing() != null) {
            a.put(Mesh.PROXY_CONFIG_ANNOTATION, c.tracing());
        }
        return a;
    }

    static Map<String, String> podLabels(Case c) {
        Map<String, String> l = new TreeMap<>(Map.of("app", "web"));
        if (c.podInject() != null) {
            l.put(Mesh.INJECT, c.podInject());
        }
        return l;
    }

    /** d = 0: no declared container; 1..16: one with the subset d-1 of requests/limits (possibly none). */
    static ObjectNode declaredContainer(Case c) {
        if (c.declared() == 0) {
            return null;
        }
        ObjectNode proxy = F.objectNode().put("name", "istio-proxy").put("image", "auto");
        int subset = c.declared() - 1;
        ObjectNode resources = proxy.putObject("resources");
        for (int bit = 0; bit < 4; bit++) {
            if ((subset & (1 << bit)) != 0) {
                String[] d = DECLARED[bit];
                resources.withObject("/" + d[0]).put(d[1], d[2]);
            }
        }
        return proxy;
    }

    static ArrayNode containers(Case c) {
        ArrayNode containers = F.arrayNode();
        containers.addObject().put("name", "web").put("image", "web");
        ObjectNode proxy = declaredContainer(c);
        if (proxy != null) {
            containers.add(proxy);
        }
        return containers;
    }

    static ObjectNode oracleCase(Case c, JsonNode rendered) {
        ObjectNode o = F.objectNode().put("id", c.id()).put("namespace", c.namespace());
        ObjectNode pod = o.putObject("pod");
        ObjectNode md = pod.putObject("metadata").put("generateName", "web-").put("namespace", c.namespace());
        podLabels(c).forEach(md.putObject("labels")::put);
        podAnnotations(c).forEach(md.putObject("annotations")::put);
        ObjectNode spec = pod.putObject("spec");
        spec.set("containers", containers(c));
        if (c.kind() == WorkloadKind.JOB || c.kind() == WorkloadKind.CRON_JOB) {
            spec.put("restartPolicy", "OnFailure");
        }
        NAMESPACES.get(c.namespace()).forEach(o.putObject("namespaceLabels")::put);
        // The API server's webhook selection runs too, with the selectors the chart renders.
        o.put("webhooks", rendered.path("webhooks").asText());
        o.put("injectorConfig", rendered.path("injectorConfig").asText());
        o.put("injectorValues", rendered.path("injectorValues").asText());
        o.put("meshConfig", rendered.path("meshConfig").asText());
        ArrayNode nodes = o.putArray("nodes");
        nodes.addObject().put("name", "n1").put("kubeletVersion", "v1.34.1");
        nodes.addObject().put("name", "n2").put("kubeletVersion", c.oldNode() ? "v1.32.4" : "v1.33.0");
        ObjectNode env = o.putObject("env");
        rendered.path("istiodEnv").fields().forEachRemaining(e -> env.set(e.getKey(), e.getValue()));
        return o;
    }

    /** The same case as a snapshot: the namespace, the workload, istiod's Helm release and the nodes. */
    static String[] snapshotDocs(Case c, String chartDefaults) {
        return snapshotDocs(c, chartDefaults, workload(c));
    }

    static ObjectNode workload(Case c) {
        ObjectNode template = F.objectNode();
        ObjectNode md = template.putObject("metadata");
        podLabels(c).forEach(md.putObject("labels")::put);
        podAnnotations(c).forEach(md.putObject("annotations")::put);
        template.putObject("spec").set("containers", containers(c));
        ObjectNode w = F.objectNode().put("apiVersion", c.kind().group() + "/v1").put("kind", c.kind().kindName());
        w.putObject("metadata").put("name", "web").put("namespace", c.namespace());
        ObjectNode spec = w.putObject("spec");
        if (c.kind() == WorkloadKind.CRON_JOB) {
            spec.put("schedule", "0 1 * * *");
            spec.putObject("jobTemplate").putObject("spec").set("template", template);
        } else {
            spec.set("template", template);
        }
        return w;
    }

    static String[] snapshotDocs(Case c, String chartDefaults, ObjectNode w) {
        String node = """
                ---
                apiVersion: v1
                kind: Node
                metadata: {name: %s}
                status: {nodeInfo: {kubeletVersion: %s}}
                """;
        return new String[] {"---\n" + F.objectNode().put("apiVersion", "v1").put("kind", "Namespace").set("metadata",
                F.objectNode().put("name", c.namespace()).set("labels", IstioTools.JSON.valueToTree(NAMESPACES.get(c.namespace())))),
            "---\n" + w,
            Fixtures.helmRelease("istio-system", "istiod", "istiod", "1.31.0", chartDefaults, values(c)),
            node.formatted("n1", "v1.34.1"), node.formatted("n2", c.oldNode() ? "v1.32.4" : "v1.33.0")};
    }

    static final MeshPolicy SIZING = Fixtures.policy("sizing", "ProxySizing",
            "{requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: '1', memory: 1Gi}}");
    static final MeshPolicy JOBS = Fixtures.policy("jobs", "InjectionExclusion", "{}");
    static final Pattern STRATEGIC = Pattern.compile("--type strategic -p '([^']*)'");

    /**
     * Remedies judged too: every ProxySizing and InjectionExclusion remedy the corpus produces is applied to the
     * input as the applier (a merge patch) or the user (the strategic patch a `none` remedy spells out) would, and
     * Istio's injector runs again: the pod it now makes must satisfy the policy.
     */
    @ParameterizedTest
    @MethodSource("versions")
    void everyRemedyMakesIstiosResultCompliant(String version) throws IOException {
        String chartDefaults = Files.readString(IstioTools.charts(version)
                .resolve("istio-control/istio-discovery/values.yaml"));
        Map<String, JsonNode> rendered = new TreeMap<>();
        List<Case> fixed = new ArrayList<>();
        List<String> remedies = new ArrayList<>();
        List<ObjectNode> oracleCases = new ArrayList<>();
        for (Case c : corpus()) {
            ObjectNode w = workload(c);
            ClusterSnapshot s = Fixtures.snapshot(snapshotDocs(c, chartDefaults, w));
            List<Finding> findings = PolicyTypes.EVALUATOR.evaluate(List.of(SIZING, JOBS), s).findings();
            if (findings.isEmpty()) {
                continue;
            }
            Finding f = findings.get(0);
            JsonNode patched = switch (f.remedy().action()) {
                case io.meshwarden.evaluate.Remedy.PATCH -> io.meshwarden.enforce.MergePatch.apply(w, f.remedy().patch());
                case io.meshwarden.evaluate.Remedy.NONE -> strategic(w, f.remedy().note());
                default -> null;
            };
            if (patched == null) {
                continue;
            }
            String values = values(c);
            JsonNode r = rendered.computeIfAbsent(values, v -> IstioTools.render(version, v, "istio-system"));
            ObjectNode oc = oracleCase(c, r);
            JsonNode template = c.kind() == WorkloadKind.CRON_JOB ? patched.at("/spec/jobTemplate/spec/template")
                    : patched.at("/spec/template");
            ((ObjectNode) oc.get("pod")).set("spec", template.get("spec").deepCopy());
            ObjectNode md = (ObjectNode) oc.at("/pod/metadata");
            md.set("labels", template.at("/metadata/labels").deepCopy());
            md.set("annotations", template.at("/metadata/annotations").deepCopy());
            oracleCases.add(oc);
            fixed.add(c);
            remedies.add(f.rule() + " " + f.remedy().action());
        }
        List<JsonNode> answers = IstioTools.inject(version, oracleCases);
        List<String> failures = new ArrayList<>();
        int sizing = 0;
        int jobs = 0;
        for (int i = 0; i < fixed.size(); i++) {
            Case c = fixed.get(i);
            JsonNode a = answers.get(i);
            String problem;
            if (remedies.get(i).startsWith("injection-job-sidecar")) {
                jobs++;
                problem = a.path("injected").asBoolean() && !a.path("nativeSidecar").asBoolean()
                        ? "the Job still gets a classic sidecar" : null;
            } else {
                sizing++;
                problem = within(a, "/requests/cpu", "250m") + within(a, "/requests/memory", "256Mi")
                        + within(a, "/limits/cpu", "1") + within(a, "/limits/memory", "1Gi");
                problem = problem.isEmpty() ? null : problem;
            }
            if (problem != null) {
                failures.add(c + " after " + remedies.get(i) + ": " + problem + " " + a);
            }
        }
        System.out.printf("remedies judged by the injector %s: %d sizing, %d job exclusions, %d failures%n", version,
                sizing, jobs, failures.size());
        assertTrue(sizing > 100 && jobs > 10, "the corpus yields remedies of both kinds");
        assertEquals(List.of(), failures.subList(0, Math.min(5, failures.size())), failures.size() + " failures");
    }

    /** Within ProxySizing's default 10% tolerance; "" when it is. */
    static String within(JsonNode answer, String pointer, String expected) {
        JsonNode v = answer.at(pointer);
        if (v.isMissingNode() || v.isNull()) {
            return pointer + " unset; ";
        }
        BigDecimal a = Quantity.getAmountInBytes(Quantity.parse(v.asText()));
        BigDecimal e = Quantity.getAmountInBytes(Quantity.parse(expected));
        return a.subtract(e).abs().multiply(BigDecimal.TEN).compareTo(e) > 0 ? pointer + "=" + v.asText() + "; " : "";
    }

    /** The strategic merge patch a `none` remedy spells out, applied by container name as the API server would. */
    static JsonNode strategic(ObjectNode workload, String note) {
        Matcher m = STRATEGIC.matcher(note == null ? "" : note);
        if (!m.find()) {
            return null;
        }
        try {
            JsonNode patch = IstioTools.JSON.readTree(m.group(1));
            ObjectNode out = workload.deepCopy();
            JsonNode spec = patch.at("/spec");
            String templatePointer = spec.has("jobTemplate") ? "/spec/jobTemplate/spec/template/spec" : "/spec/template/spec";
            JsonNode patchSpec = patch.at(templatePointer);
            ObjectNode targetSpec = (ObjectNode) out.at(templatePointer);
            patchSpec.fields().forEachRemaining(list -> {
                ArrayNode target = targetSpec.withArray(list.getKey());
                for (JsonNode item : list.getValue()) {
                    boolean merged = false;
                    for (JsonNode t : target) {
                        if (t.path("name").equals(item.path("name"))) {
                            ((ObjectNode) t).setAll((ObjectNode) io.meshwarden.enforce.MergePatch.apply(t, item));
                            merged = true;
                        }
                    }
                    if (!merged) {
                        target.add(item.deepCopy());
                    }
                }
            });
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

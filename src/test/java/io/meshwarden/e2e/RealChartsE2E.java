package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Istio's real charts (base, istio-control/istio-discovery, gateway) of each pinned istio.io/istio module version,
 * installed by real Helm with production-bad values, audited by Meshwarden's live read path, fixed by the values
 * overlays Meshwarden proposes (a real {@code helm upgrade} built from {@link HelmOverlays#upgradeCommand}) and by an
 * enforcement run (Applier) for what Meshwarden writes itself, then audited again: clean, and a second run writes
 * nothing. The gateway's pod template is read back with the API: its istio-proxy container carries the policy's
 * resources. Objects Meshwarden creates pass {@code istioctl validate} (offline).
 *
 * <p>What is changed from the charts' defaults, and why (no istiod, no webhook server runs here: kwok runs no
 * containers):
 * <ul>
 * <li>istiod {@code global.operatorManageWebhooks=true}: the chart renders no MutatingWebhookConfiguration; its
 * injector webhooks are {@code failurePolicy: Fail} with a service clientConfig nobody serves, so every pod labelled
 * {@code sidecar.istio.io/inject=true} (the gateway's) would be refused. Gateway pods are therefore created as the
 * chart renders them, with the declared {@code istio-proxy} container ({@code image: auto}) un-injected.</li>
 * <li>istiod {@code global.configValidation=false} and base {@code defaultRevision=""}: no validating webhooks
 * (they are {@code failurePolicy: Ignore} on install, but would be called on every Istio object for nothing).</li>
 * <li>{@code global.istioNamespace}: istiod is installed into a random namespace, as a user with a non-default
 * namespace does.</li>
 * </ul>
 *
 * <p>The base chart renders Istio's CRDs as templates, so Helm refuses them where another E2E class already applied
 * CRDs of ours. Existing CRDs are adopted the way Helm documents it (managed-by label, release annotations) before the
 * install; {@code helm uninstall} then deletes them, and the classes that need Istio CRDs apply theirs again.
 */
class RealChartsE2E {
    static final Duration HELM_TIMEOUT = Duration.ofSeconds(120);
    static final String GATEWAY_RELEASE = "istio-ingressgateway";
    static final String ISTIOD_RELEASE = "istiod";
    static final String BASE_RELEASE = "istio-base";

    static Stream<String> versions() {
        return IstioTools.versions().stream();
    }

    KubernetesClient client;
    String version;
    Path charts;
    Path work;
    String istioNs;
    String gatewayNs;
    String baseNs;
    final List<String> installed = new ArrayList<>();

    @ParameterizedTest
    @MethodSource("versions")
    void realChartsAuditUpgradeReauditClean(String version) throws Exception {
        this.version = version;
        long started = System.nanoTime();
        client = ControlPlane.client();
        charts = IstioTools.charts(version);
        work = Files.createTempDirectory("realcharts");
        String suffix = ControlPlane.suffix();
        baseNs = ControlPlane.namespace(client, "e2e-charts-base-" + suffix, Map.of());
        istioNs = ControlPlane.namespace(client, "e2e-charts-istio-" + suffix, Map.of());
        gatewayNs = ControlPlane.namespace(client, "e2e-charts-gw-" + suffix, Map.of());
        try {
            run(started);
        } finally {
            cleanUp();
        }
    }

    void run(long started) throws Exception {
        // 1. Install the real charts with production-bad values, as a user would.
        adoptExistingCrds();
        helm("install", BASE_RELEASE, charts.resolve("base").toString(), "-n", baseNs, "--wait=false",
                "--set", "global.istioNamespace=" + istioNs, "--set", "defaultRevision=");
        installed.add(BASE_RELEASE + "@" + baseNs);
        awaitCrd("envoyfilters.networking.istio.io");
        awaitCrd("telemetries.telemetry.istio.io");
        Path istiodValues = write("istiod-values.yaml", String.join("\n",
                "global:",
                "  istioNamespace: " + istioNs,
                "  # No webhook server runs on this control plane: see the class comment.",
                "  operatorManageWebhooks: true",
                "  configValidation: false",
                "pilot:",
                "  # autoscaleMin stays at the chart default (1); global.proxy.resources at the default too.",
                "  traceSampling: 50",
                ""));
        helm("install", ISTIOD_RELEASE, charts.resolve("istio-control/istio-discovery").toString(), "-n", istioNs,
                "--wait=false", "-f", istiodValues.toString());
        installed.add(ISTIOD_RELEASE + "@" + istioNs);
        // The gateway chart at its defaults: resources 100m/128Mi, autoscaling.minReplicas 1.
        helm("install", GATEWAY_RELEASE, charts.resolve("gateway").toString(), "-n", gatewayNs, "--wait=false");
        installed.add(GATEWAY_RELEASE + "@" + gatewayNs);

        Deployment gateway = awaitDeployment(gatewayNs, GATEWAY_RELEASE);
        Container declared = istioProxy(gateway);
        assertEquals("auto", declared.getImage(), "the chart declares istio-proxy as a placeholder");
        assertEquals("gateway", gateway.getSpec().getTemplate().getMetadata().getAnnotations()
                .get("inject.istio.io/templates"));
        assertResources(declared.getResources(), "100m", "128Mi", "2", "1Gi", "the chart default");
        awaitDeployment(istioNs, "istiod");

        List<MeshPolicy> policies = List.of(
                E2EObjects.policy("charts-ha", "HaMinimum", "enforce", List.of(istioNs, gatewayNs),
                        "{components: [istiod, ingressgateway]}"),
                E2EObjects.policy("charts-sizing", "ProxySizing", "enforce", List.of(gatewayNs),
                        "{requests: {cpu: 300m, memory: 256Mi}, limits: {cpu: \"1\", memory: 512Mi}}"),
                E2EObjects.policy("charts-tracing", "TraceSampling", "enforce", List.of(gatewayNs),
                        "{maxPercent: 1}"),
                E2EObjects.policy("charts-headers", "HeaderRemoval", "enforce", List.of(gatewayNs), "{}"));

        // 2. Audit with the real read path.
        ClusterSnapshot snapshot = read();
        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        List<Finding> findings = ours(result.findings());
        log("findings before", findings);

        Finding istiodFloor = only(findings, "charts-ha", "ha-helm-autoscale-min", ISTIOD_RELEASE);
        assertOverlay(istiodFloor, istioNs, ISTIOD_RELEASE);
        assertEquals(2, istiodFloor.remedy().patch().at("/pilot/autoscaleMin").asInt(), istiodFloor::toString);
        Finding gatewayFloor = only(findings, "charts-ha", "ha-helm-autoscale-min", GATEWAY_RELEASE);
        assertOverlay(gatewayFloor, gatewayNs, GATEWAY_RELEASE);
        assertEquals(2, gatewayFloor.remedy().patch().at("/autoscaling/minReplicas").asInt(),
                gatewayFloor::toString);

        Finding sizing = only(findings, "charts-sizing", "proxy-sizing-deviates", GATEWAY_RELEASE);
        assertEquals(Remedy.VALUES_OVERLAY, sizing.remedy().action(),
                () -> "a Helm-managed gateway is sized by its release's resources value, not annotations: " + sizing);
        assertEquals(gatewayNs + "/" + GATEWAY_RELEASE, sizing.remedy().target().namespace() + "/"
                + sizing.remedy().target().name(), sizing::toString);
        JsonNode resources = sizing.remedy().patch().path("resources");
        assertEquals(List.of("resources"), fieldNames(sizing.remedy().patch()), sizing::toString);
        assertEquals("300m", resources.at("/requests/cpu").asText(), sizing::toString);
        assertEquals("256Mi", resources.at("/requests/memory").asText(), sizing::toString);
        assertEquals("1", resources.at("/limits/cpu").asText(), sizing::toString);
        assertEquals("512Mi", resources.at("/limits/memory").asText(), sizing::toString);

        Finding tracing = only(findings, "charts-tracing", "trace-sampling-too-high", GATEWAY_RELEASE);
        assertOverlay(tracing, istioNs, ISTIOD_RELEASE);
        assertEquals(1, tracing.remedy().patch().at("/pilot/traceSampling").asInt(), tracing::toString);

        // 3a. The enforcement run writes what Meshwarden writes itself (EnvoyFilter, PDBs, ...).
        Plan plan = Planner.plan(policies, result, snapshot);
        System.out.println("[" + version + "] plan: " + plan.changes().stream().map(c -> c.id())
                .collect(Collectors.toList()));
        List<JsonNode> created = new ArrayList<>();
        for (Finding f : findings) {
            if (f.remedy() != null && Remedy.CREATE.equals(f.remedy().action())) {
                created.add(f.remedy().patch());
            }
        }
        ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(plan, false);
        assertEquals(List.of(), applied.failed(), () -> applied.outcomes().toString());

        // 3b. Each values overlay, applied by a real helm upgrade run from the line Meshwarden prints.
        HelmOverlays.Folded folded = HelmOverlays.fold(result.findings(), p -> p.startsWith("charts-"));
        assertEquals(List.of(), folded.skipped(), () -> folded.skipped().toString());
        assertEquals(List.of(istioNs + "/" + ISTIOD_RELEASE, gatewayNs + "/" + GATEWAY_RELEASE),
                List.copyOf(folded.overlays().keySet()).stream().sorted(this::istiodFirst)
                        .collect(Collectors.toList()));
        for (HelmOverlays.Overlay overlay : folded.overlays().values()) {
            upgrade(snapshot, overlay);
        }

        // 4. The gateway's pod template, read back with the API, carries the policy's resources; the rollout
        // brings up pods of that template (kwok runs them).
        ControlPlane.await("the gateway's pod template to carry the policy's resources", Duration.ofSeconds(60),
                () -> matches(istioProxy(deployment(gatewayNs, GATEWAY_RELEASE)).getResources(), "300m", "256Mi",
                        "1", "512Mi"),
                () -> String.valueOf(istioProxy(deployment(gatewayNs, GATEWAY_RELEASE)).getResources()));
        Container after = istioProxy(deployment(gatewayNs, GATEWAY_RELEASE));
        assertResources(after.getResources(), "300m", "256Mi", "1", "512Mi", "after helm upgrade");
        assertEquals("auto", after.getImage());
        ControlPlane.await("a running gateway pod with the policy's resources", Duration.ofSeconds(90),
                () -> runningGatewayPods().stream().anyMatch(p -> matches(istioProxy(p).getResources(), "300m",
                        "256Mi", "1", "512Mi")),
                () -> runningGatewayPods().stream().map(p -> p.getMetadata().getName() + "="
                        + istioProxy(p).getResources()).collect(Collectors.toList()).toString());

        // Re-audit: every finding the overlays and the run addressed is gone.
        ClusterSnapshot again = read();
        EvaluationResult second = PolicyTypes.EVALUATOR.evaluate(policies, again);
        List<Finding> remaining = ours(second.findings());
        log("findings after the upgrades", remaining);
        HelmRelease gatewayRelease = again.helmRelease(gatewayNs, GATEWAY_RELEASE).orElseThrow();
        assertEquals(2, gatewayRelease.revision());
        assertEquals("1.0.0", gatewayRelease.chartVersion(), "only the values changed");
        assertEquals(2, again.helmRelease(istioNs, ISTIOD_RELEASE).orElseThrow().revision());
        assertEquals(Map.of(), HelmOverlays.fold(second.findings(), p -> p.startsWith("charts-")).overlays(),
                "no overlay proposed any more");

        // The ProxySizing run against the gateway: compliant now, and a second run writes nothing.
        MeshPolicy sizingPolicy = policies.get(1);
        EvaluationResult sizingOnly = PolicyTypes.EVALUATOR.evaluate(List.of(sizingPolicy), again);
        assertEquals(List.of(), sizingOnly.findings(), "the gateway's proxy has the policy's resources");
        Plan sizingPlan = Planner.plan(List.of(sizingPolicy), sizingOnly, again);
        assertTrue(sizingPlan.isEmpty(), () -> "a second ProxySizing run writes nothing: " + sizingPlan);

        // Found here first: the first run used to create Meshwarden's PDB for istiod while proposing
        // pilot.autoscaleMin: 2, with which the chart renders its own PDB "istiod": two PDBs, and the eviction API
        // refused every istiod pod until the next run. Now Meshwarden leaves a Helm-managed istiod's PDB to its chart.
        assertEquals(List.of(), remaining.stream().map(f -> f.policy() + " " + f.rule() + " "
                + f.resource().namespace() + "/" + f.resource().name()).collect(Collectors.toList()),
                "clean after the first run and the upgrades");
        assertTrue(client.policy().v1().podDisruptionBudget().inNamespace(istioNs).list().getItems().stream()
                .noneMatch(b -> b.getMetadata().getName().endsWith("-meshwarden") && b.getMetadata().getName()
                        .startsWith("istiod")), "no PDB of Meshwarden's next to the chart's on istiod");
        Plan secondPlan = Planner.plan(policies, second, again);
        assertTrue(secondPlan.changes().isEmpty(), () -> "a second run writes nothing: " + secondPlan);

        // Clean, and a further run writes nothing: no change, no overlay, nothing skipped.
        ClusterSnapshot converged = read();
        EvaluationResult third = PolicyTypes.EVALUATOR.evaluate(policies, converged);
        log("findings after the second run", ours(third.findings()));
        assertEquals(List.of(), ours(third.findings()), "clean");
        Plan thirdPlan = Planner.plan(policies, third, converged);
        assertTrue(thirdPlan.isEmpty(), () -> "a further run writes nothing: " + thirdPlan);
        assertEquals(Map.of(), HelmOverlays.fold(third.findings(), p -> p.startsWith("charts-")).overlays());

        // 5. Objects Meshwarden creates pass istioctl validate (offline).
        created.addAll(telemetryMeshwardenWouldCreate(policies, again));
        validate(created);
        System.out.printf("[%s] RealChartsE2E took %d s%n", version,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    // ------------------------------------------------------------------------------------------- steps

    /**
     * TraceSampling creates a root-namespace Telemetry only when it finds no istiod values; with the istiod release
     * in the snapshot it never does. The same snapshot without Helm releases makes the rule propose it.
     */
    List<JsonNode> telemetryMeshwardenWouldCreate(List<MeshPolicy> policies, ClusterSnapshot s) {
        ClusterSnapshot noValues = new ClusterSnapshot(s.namespaces(), s.workloads(), s.hpas(), s.pdbs(),
                s.meshConfigs(), List.of(), s.istioResources(), s.nodes());
        // Without istiod values the rate is Istio's default 1%: a stricter maximum than the test's 1% finds it.
        MeshPolicy stricter = E2EObjects.policy("charts-tracing-strict", "TraceSampling", "enforce",
                List.of(gatewayNs), "{maxPercent: 0.5}");
        List<JsonNode> out = new ArrayList<>();
        for (Finding f : PolicyTypes.EVALUATOR.evaluate(List.of(stricter), noValues).findings()) {
            if (f.remedy() != null && Remedy.CREATE.equals(f.remedy().action())
                    && "Telemetry".equals(f.remedy().target().kind())) {
                out.add(f.remedy().patch());
            }
        }
        assertFalse(out.isEmpty(), "TraceSampling proposes a Telemetry when no istiod values are known");
        return out;
    }

    /**
     * {@code istioctl validate -f}, offline: KUBECONFIG points nowhere (it needs no API server). A Telemetry with a
     * rate above 100 is refused first, so a pass means istioctl really judged the file.
     */
    void validate(List<JsonNode> objects) throws IOException {
        String components = System.getenv("MESHWARDEN_ISTIO_COMPONENTS");
        if (components != null && !components.contains("istioctl")) {
            System.out.println("[" + version + "] istioctl validate left out: MESHWARDEN_ISTIO_COMPONENTS=" + components);
            return;
        }
        Path istioctl = IstioTools.istioctl(version);
        Map<String, String> offline = Map.of("KUBECONFIG", work.resolve("no-kubeconfig").toString());
        Path bad = write("bad-telemetry.yaml", "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n"
                + "metadata: {name: bad, namespace: x}\nspec:\n  tracing:\n  - randomSamplingPercentage: 200\n");
        String refused = exec(List.of(istioctl.toString(), "validate", "-f", bad.toString()), Duration.ofSeconds(60),
                false, offline);
        assertTrue(refused.contains("randomSamplingPercentage must be in range"), refused);

        List<String> kinds = objects.stream().map(o -> o.path("kind").asText()).distinct().sorted()
                .collect(Collectors.toList());
        assertTrue(kinds.containsAll(List.of("EnvoyFilter", "Telemetry")), kinds::toString);
        for (JsonNode o : objects) {
            String kind = o.path("kind").asText();
            Path file = write(kind + "-" + o.at("/metadata/name").asText() + ".yaml", Documents.toYaml(o));
            String out = exec(List.of(istioctl.toString(), "validate", "-f", file.toString()),
                    Duration.ofSeconds(60), true, offline);
            System.out.println("[" + version + "] istioctl validate " + file.getFileName() + ": " + out.trim());
            if (kind.equals("EnvoyFilter")) {
                // istioctl warns about every EnvoyFilter; nothing else may be said about ours.
                assertEquals(List.of("EnvoyFilter/" + o.at("/metadata/namespace").asText() + "/"
                        + o.at("/metadata/name").asText() + ": EnvoyFilter exposes internal implementation details "
                        + "that may change at any time. Prefer other APIs if possible, and exercise extreme caution, "
                        + "especially around upgrades."), out.lines().map(String::trim)
                                .filter(l -> l.startsWith("* ")).map(l -> l.substring(2)).collect(Collectors.toList()),
                        out);
            } else {
                assertTrue(out.trim().endsWith("is valid"), out);
            }
        }
    }

    void upgrade(ClusterSnapshot snapshot, HelmOverlays.Overlay overlay) throws IOException {
        HelmRelease release = snapshot.helmRelease(overlay.namespace(), overlay.release()).orElseThrow();
        // Written as the API serves it (GET .../helm/overlay, Documents.toYaml; `fix` writes the same): strings that
        // look like numbers ("1" cpu) stay quoted. Json.toYaml would write cpu: 1, which the gateway chart's values
        // schema rejects ("at '/resources/limits/cpu': got number, want null or string").
        String yaml = Documents.toYaml(overlay.values());
        Path file = write("overlay-" + overlay.release() + ".yaml", yaml);
        String line = HelmOverlays.upgradeCommand(release.chart(), overlay.namespace(), overlay.release(),
                file.toString());
        System.out.println("[" + version + "] Meshwarden prints: " + line);
        System.out.println("[" + version + "] overlay " + overlay.key() + ":\n" + yaml);
        // A user with the chart on disk replaces <repo>/<chart> with its path; everything else runs as printed,
        // --version included (the release records the chart's own version, 1.0.0 in the module's charts).
        String chartRef = "<repo>/" + release.chartName();
        assertTrue(line.contains(chartRef), line);
        Path chartPath = switch (release.chartName()) {
            case "istiod" -> charts.resolve("istio-control/istio-discovery");
            case "gateway" -> charts.resolve("gateway");
            default -> throw new AssertionError("no local chart for " + release.chartName());
        };
        String local = line.replace(chartRef, chartPath.toString());
        // Helm takes the printed --version with a chart path, but does not check it: a local chart is used as it is
        // (pinned here with a version no chart has). It guards repository charts only.
        helm("template", overlay.release(), chartPath.toString(), "--version", "0.0.0-no-such-version");
        List<String> args = new ArrayList<>(Arrays.asList(local.split(" ")));
        assertEquals(List.of("helm", "upgrade"), args.subList(0, 2), local);
        args = new ArrayList<>(args.subList(1, args.size()));
        args.add("--wait=false");
        helm(args.toArray(new String[0]));
    }

    ClusterSnapshot read() {
        return new LiveSnapshotReader(client, 500, istioNs).read();
    }

    /** The findings about this test's namespaces and releases (other classes' objects may be in the cluster). */
    List<Finding> ours(List<Finding> findings) {
        return findings.stream().filter(f -> f.policy().startsWith("charts-")).collect(Collectors.toList());
    }

    static Finding only(List<Finding> findings, String policy, String rule, String name) {
        List<Finding> hits = findings.stream().filter(f -> f.policy().equals(policy) && f.rule().equals(rule)
                && (name.equals(f.resource().name()) || (f.helmRelease() != null
                        && name.equals(f.helmRelease().name())))).collect(Collectors.toList());
        assertEquals(1, hits.size(), () -> policy + "/" + rule + " on " + name + ": " + hits + "\nall: " + findings);
        return hits.get(0);
    }

    static void assertOverlay(Finding f, String namespace, String release) {
        assertNotNull(f.remedy(), f::toString);
        assertEquals(Remedy.VALUES_OVERLAY, f.remedy().action(), f::toString);
        assertEquals(namespace, f.remedy().target().namespace(), f::toString);
        assertEquals(release, f.remedy().target().name(), f::toString);
    }

    int istiodFirst(String a, String b) {
        return Boolean.compare(!a.startsWith(istioNs + "/"), !b.startsWith(istioNs + "/"));
    }

    static List<String> fieldNames(JsonNode o) {
        List<String> out = new ArrayList<>();
        o.fieldNames().forEachRemaining(out::add);
        return out;
    }

    void log(String what, List<Finding> findings) {
        System.out.println("[" + version + "] " + what + " (" + findings.size() + "):");
        for (Finding f : findings) {
            System.out.println("  " + f.policy() + " " + f.rule() + " " + f.resource() + " -> "
                    + (f.remedy() == null ? "no remedy" : f.remedy().action() + " " + f.remedy().target() + " "
                            + f.remedy().patch()) + "\n      " + f.message());
        }
    }

    // ------------------------------------------------------------------------------------------- objects

    Deployment deployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    Deployment awaitDeployment(String ns, String name) {
        ControlPlane.await("Deployment " + ns + "/" + name, () -> deployment(ns, name) != null);
        return deployment(ns, name);
    }

    List<Pod> runningGatewayPods() {
        return client.pods().inNamespace(gatewayNs).withLabel("app", GATEWAY_RELEASE).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                        && "Running".equals(p.getStatus().getPhase())).collect(Collectors.toList());
    }

    static Container istioProxy(Deployment d) {
        return istioProxy(d.getSpec().getTemplate().getSpec().getContainers());
    }

    static Container istioProxy(Pod p) {
        return istioProxy(p.getSpec().getContainers());
    }

    static Container istioProxy(List<Container> containers) {
        return containers.stream().filter(c -> "istio-proxy".equals(c.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no istio-proxy container in " + containers));
    }

    static boolean matches(ResourceRequirements r, String cpu, String memory, String cpuLimit, String memoryLimit) {
        return r != null && same(r.getRequests(), "cpu", cpu) && same(r.getRequests(), "memory", memory)
                && same(r.getLimits(), "cpu", cpuLimit) && same(r.getLimits(), "memory", memoryLimit);
    }

    static boolean same(Map<String, Quantity> m, String key, String expected) {
        return m != null && m.get(key) != null && Quantity.getAmountInBytes(m.get(key))
                .compareTo(Quantity.getAmountInBytes(Quantity.parse(expected))) == 0;
    }

    static void assertResources(ResourceRequirements r, String cpu, String memory, String cpuLimit,
            String memoryLimit, String what) {
        assertTrue(matches(r, cpu, memory, cpuLimit, memoryLimit), () -> what + ": expected requests " + cpu + "/"
                + memory + ", limits " + cpuLimit + "/" + memoryLimit + ", got " + r);
    }

    // ------------------------------------------------------------------------------------------- CRDs

    /** The CRD names the base chart renders. */
    List<String> chartCrds() {
        String rendered = helm("template", BASE_RELEASE, charts.resolve("base").toString(), "-n", baseNs,
                "--set", "defaultRevision=");
        List<String> names = new ArrayList<>();
        for (HasMetadata item : client.load(new ByteArrayInputStream(rendered.getBytes(
                StandardCharsets.UTF_8))).items()) {
            if (item instanceof CustomResourceDefinition) {
                names.add(item.getMetadata().getName());
            }
        }
        assertFalse(names.isEmpty(), "the base chart renders Istio's CRDs");
        return names;
    }

    /** Helm's documented adoption of existing objects: managed-by label and the release annotations. */
    void adoptExistingCrds() {
        for (String name : chartCrds()) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(name)
                    .get();
            if (crd == null) {
                continue;
            }
            ControlPlane.await("CRD " + name + " not terminating", () -> {
                CustomResourceDefinition c = client.apiextensions().v1().customResourceDefinitions().withName(name)
                        .get();
                return c == null || c.getMetadata().getDeletionTimestamp() == null;
            });
            client.apiextensions().v1().customResourceDefinitions().withName(name).edit(c -> {
                Map<String, String> labels = new HashMap<>(Optional.ofNullable(c.getMetadata()
                        .getLabels()).orElse(Map.of()));
                Map<String, String> annotations = new HashMap<>(Optional.ofNullable(c.getMetadata()
                        .getAnnotations()).orElse(Map.of()));
                labels.put("app.kubernetes.io/managed-by", "Helm");
                annotations.put("meta.helm.sh/release-name", BASE_RELEASE);
                annotations.put("meta.helm.sh/release-namespace", baseNs);
                c.getMetadata().setLabels(labels);
                c.getMetadata().setAnnotations(annotations);
                return c;
            });
        }
    }

    void awaitCrd(String name) {
        ControlPlane.await("CRD " + name + " established", () -> {
            CustomResourceDefinition c = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
            return c != null && c.getStatus() != null && c.getStatus().getConditions() != null
                    && c.getStatus().getConditions().stream().anyMatch(x -> "Established".equals(x.getType())
                            && "True".equals(x.getStatus()));
        });
    }

    // ------------------------------------------------------------------------------------------- clean-up

    void cleanUp() {
        if (client == null) {
            return;
        }
        try {
            // Gateway and istiod first, base (its CRDs) last.
            for (int i = installed.size() - 1; i >= 0; i--) {
                String[] r = installed.get(i).split("@");
                try {
                    helm("uninstall", r[0], "-n", r[1], "--wait=false");
                } catch (AssertionError e) {
                    System.out.println("[" + version + "] clean-up: " + e.getMessage());
                }
            }
            // The base chart's CRDs stay: the chart marks them helm.sh/resource-policy: keep. They keep the release
            // annotations of this run; the next install adopts them again (adoptExistingCrds).
            ControlPlane.deleteNamespaces(client, gatewayNs, istioNs, baseNs);
            // The live reader reads the whole cluster: let the next class find none of this run's workloads.
            try {
                ControlPlane.await("this run's namespaces to be deleted", Duration.ofSeconds(60),
                        () -> Stream.of(gatewayNs, istioNs, baseNs).allMatch(n -> client.namespaces().withName(n)
                                .get() == null), () -> "");
            } catch (AssertionError e) {
                System.out.println("[" + version + "] clean-up: " + e.getMessage());
            }
        } finally {
            client.close();
            installed.clear();
            deleteTree(work);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary folder; best effort.
        }
    }

    // ------------------------------------------------------------------------------------------- processes

    Path write(String name, String content) throws IOException {
        Path p = work.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    /** The control plane's helm against the test API server, bounded by {@link #HELM_TIMEOUT}. */
    String helm(String... args) {
        Path state = ControlPlane.stateDir().resolve("helm");
        List<String> command = new ArrayList<>();
        command.add(ControlPlane.bin("helm").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("--kubeconfig", ControlPlane.kubeconfig().toString()));
        System.out.println("[" + version + "] $ helm " + String.join(" ", args));
        return exec(command, HELM_TIMEOUT, true, Map.of("HELM_CONFIG_HOME", state.resolve("config").toString(),
                "HELM_CACHE_HOME", state.resolve("cache").toString(), "HELM_DATA_HOME",
                state.resolve("data").toString()));
    }

    static String exec(List<String> command, Duration timeout, boolean mustSucceed) {
        return exec(command, timeout, mustSucceed, Map.of());
    }

    static String exec(List<String> command, Duration timeout, boolean mustSucceed, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Path out = Files.createTempFile("realcharts-out", ".txt");
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in " + timeout.toSeconds() + "s:\n"
                        + Files.readString(out));
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
            if (mustSucceed && p.exitValue() != 0) {
                fail(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }

}

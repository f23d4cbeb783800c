package io.meshwarden.cli.fix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.cli.AuditCommand;
import io.meshwarden.cli.FixCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixCommandTest {
    static final Path EXAMPLE_SNAPSHOT = Path.of("examples/snapshot");
    static final String POLICIES = "examples/policies";
    static final Path FIXTURES = Path.of("src/test/resources/fix");
    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();

    /** The files the example policies must fix; every other file must come out byte-identical. */
    static final Set<String> EXPECTED_CHANGED = Set.of("batch/jobs.yaml", "istio-ingress/gateway.yaml",
            "istio-system/addons.yaml", "istio-system/control-plane.yaml", "payments/workloads.yaml",
            "shop/workloads.yaml");

    @TempDir
    Path tmp;
    Path snap;
    Path out;

    record Outcome(int code, String out, String err) {
    }

    @BeforeEach
    void copyExample() throws IOException {
        // Never the checked-in examples themselves: a bug must not be able to damage them.
        snap = tmp.resolve("snap");
        copyTree(EXAMPLE_SNAPSHOT, snap);
        out = tmp.resolve("out");
    }

    static Outcome run(boolean audit, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8);
        int code = audit ? AuditCommand.run(args, po, pe) : FixCommand.run(args, po, pe);
        return new Outcome(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    Outcome fix(String... extra) {
        List<String> args = new ArrayList<>(List.of("--snapshot", snap.toString(), "--policies", POLICIES,
                "--out", out.toString()));
        args.addAll(List.of(extra));
        return run(false, args.toArray(String[]::new));
    }

    @Test
    void unchangedFilesAreCopiedByteIdenticalAndOnlyFixedFilesDiffer() throws IOException {
        Outcome o = fix();
        assertEquals(FixCommand.OK, o.code(), o.err());
        Set<String> differing = new TreeSet<>();
        for (String rel : files(snap)) {
            Path copy = out.resolve(rel);
            assertTrue(Files.isRegularFile(copy), "not copied: " + rel);
            if (!java.util.Arrays.equals(Files.readAllBytes(snap.resolve(rel)), Files.readAllBytes(copy))) {
                differing.add(rel);
            }
        }
        assertEquals(new TreeSet<>(EXPECTED_CHANGED), differing);
        assertTrue(o.out().contains("files changed: " + EXPECTED_CHANGED.size()), o.out());
        for (String rel : EXPECTED_CHANGED) {
            assertTrue(o.out().contains("\n  " + rel + "\n"), "summary lists " + rel + ":\n" + o.out());
        }
        // The input is read only.
        for (String rel : files(snap)) {
            assertArrayEquals(Files.readAllBytes(EXAMPLE_SNAPSHOT.resolve(rel)), Files.readAllBytes(snap.resolve(rel)));
        }
    }

    @Test
    void helmReleaseSecretsAreNeverRewritten() throws IOException {
        assertEquals(FixCommand.OK, fix().code());
        for (String rel : List.of("helm/istiod-releases.yaml", "helm/ingressgateway-release.yaml")) {
            assertArrayEquals(Files.readAllBytes(snap.resolve(rel)), Files.readAllBytes(out.resolve(rel)), rel);
        }
    }

    @Test
    void cronJobGetsTheInjectLabelAndItsNeighboursKeepTheirText() throws IOException {
        assertEquals(FixCommand.OK, fix().code());
        String before = Files.readString(snap.resolve("batch/jobs.yaml"));
        String after = Files.readString(out.resolve("batch/jobs.yaml"));
        List<JsonNode> docsBefore = docs(before);
        List<JsonNode> docsAfter = docs(after);
        assertEquals(3, docsAfter.size());
        JsonNode nightly = docsAfter.get(0);
        assertEquals("nightly-report", nightly.at("/metadata/name").asText());
        JsonNode label = nightly.at("/spec/jobTemplate/spec/template/metadata/labels/sidecar.istio.io~1inject");
        assertTrue(label.isTextual(), "a string, as the API requires: " + label);
        assertEquals("false", label.asText());
        // Apart from the label, the CronJob is what it was.
        ((com.fasterxml.jackson.databind.node.ObjectNode) nightly.at("/spec/jobTemplate/spec/template/metadata/labels"))
                .remove("sidecar.istio.io/inject");
        assertEquals(docsBefore.get(0), nightly);
        assertEquals(docsBefore.get(1), docsAfter.get(1));
        assertEquals(docsBefore.get(2), docsAfter.get(2), "Jobs are never patched");
        // The untouched documents keep their bytes (flow style, comments), not just their content.
        String tail = before.substring(before.indexOf("---\n"));
        assertTrue(after.endsWith(tail), after);
        assertTrue(after.startsWith("# Batch work in a namespace"), "the comment above the patched object stays");
    }

    @Test
    void createdObjectsAreWrittenAsNewFilesThatParse() throws IOException {
        Outcome o = fix();
        assertEquals(FixCommand.OK, o.code(), o.err());
        Path gen = out.resolve(FixCommand.GENERATED_DIR).resolve("istio-ingress");
        JsonNode pdb = YAML.readTree(gen.resolve("poddisruptionbudget-istio-ingressgateway-meshwarden.yaml").toFile());
        assertEquals("PodDisruptionBudget", pdb.path("kind").asText());
        assertEquals("policy/v1", pdb.path("apiVersion").asText());
        assertEquals("istio-ingress", pdb.at("/metadata/namespace").asText());
        assertEquals("ingressgateway", pdb.at("/spec/selector/matchLabels/istio").asText());
        JsonNode filter = YAML.readTree(gen.resolve("envoyfilter-meshwarden-strip-headers.yaml").toFile());
        assertEquals("EnvoyFilter", filter.path("kind").asText());
        assertEquals("ingressgateway", filter.at("/spec/workloadSelector/labels/istio").asText());
        assertTrue(filter.at("/spec/configPatches").size() > 0);
        assertTrue(o.out().contains("files created: 7"), o.out());
    }

    @Test
    void monitoringObjectsAreCreatedInTheMeshNamespaceWithThePolicyLabels() throws IOException {
        Outcome o = fix();
        assertEquals(FixCommand.OK, o.code(), o.err());
        Path gen = out.resolve(FixCommand.GENERATED_DIR).resolve("istio-system");
        JsonNode monitor = YAML.readTree(gen.resolve(
                "podmonitor-meshwarden-gateway-istio-ingress-istio-ingressgateway.yaml").toFile());
        assertEquals("monitoring.coreos.com/v1", monitor.path("apiVersion").asText());
        assertEquals("istio-system", monitor.at("/metadata/namespace").asText());
        assertEquals("kube-prometheus-stack", monitor.at("/metadata/labels/release").asText(),
                "the label the policy's Prometheus selects by");
        assertEquals("meshwarden", monitor.at("/metadata/labels/app.kubernetes.io~1managed-by").asText());
        assertEquals("istio-ingress", monitor.at("/spec/namespaceSelector/matchNames/0").asText());
        assertEquals("ingressgateway", monitor.at("/spec/selector/matchLabels/istio").asText());
        assertEquals("http-envoy-prom", monitor.at("/spec/podMetricsEndpoints/0/port").asText());
        // The example's PrometheusRule already alerts on rejects and root-certificate expiry: only the rest is created.
        for (String missing : List.of("push-errors", "listener-conflicts", "injection-failures", "validation-webhook")) {
            JsonNode rule = YAML.readTree(gen.resolve("prometheusrule-meshwarden-istio-" + missing + ".yaml").toFile());
            assertEquals("PrometheusRule", rule.path("kind").asText());
            assertEquals("kube-prometheus-stack", rule.at("/metadata/labels/release").asText());
            assertTrue(rule.at("/spec/groups/0/rules/0/alert").isTextual(), rule.toString());
        }
        for (String present : List.of("xds-rejects", "cert-expiry")) {
            assertFalse(Files.exists(gen.resolve("prometheusrule-meshwarden-istio-" + present + ".yaml")), present);
        }
        assertFalse(Files.exists(gen.resolve("servicemonitor-meshwarden-istiod.yaml")), "istiod is already scraped");
    }

    @Test
    void istiodOverlayIsWrittenWithItsHelmUpgradeLine() throws IOException {
        Outcome o = fix();
        assertEquals(FixCommand.OK, o.code(), o.err());
        Path overlay = out.resolve("meshwarden-generated/helm/istio-system/istiod.values.yaml");
        JsonNode values = YAML.readTree(overlay.toFile());
        assertTrue(values.isObject() && values.size() > 0, "overlay: " + values);
        // control-plane-ha and trace-sampling both fix istiod through its values: one merged file.
        assertTrue(values.at("/pilot/autoscaleMin").asInt() >= 2, values.toString());
        assertTrue(values.toString().contains("sampling") || values.toString().contains("traceSampling"),
                values.toString());
        // The release's own chart at its own version: without --version a repo chart would upgrade Istio itself.
        assertTrue(o.out().contains("helm upgrade istiod <repo>/istiod -n istio-system --version 1.26.3 "
                + "--reuse-values -f " + overlay),
                o.out());
        assertTrue(Files.isRegularFile(out.resolve(
                "meshwarden-generated/helm/istio-ingress/istio-ingressgateway.values.yaml")));
    }

    @Test
    void auditingTheOutputFindsLessAndNoFixedFinding() throws IOException {
        Outcome o = fix();
        assertEquals(FixCommand.OK, o.code(), o.err());
        TreeMap<String, JsonNode> before = findings(snap);
        TreeMap<String, JsonNode> after = findings(out);
        assertTrue(after.size() < before.size(), before.size() + " -> " + after.size());
        for (String key : after.keySet()) {
            assertTrue(before.containsKey(key), "the fix introduced a finding: " + key);
        }
        int fixed = 0;
        for (JsonNode f : before.values()) {
            String action = f.at("/remedy/action").asText();
            JsonNode t = f.at("/remedy/target");
            String target = t.path("kind").asText() + " " + t.path("namespace").asText() + "/"
                    + t.path("name").asText();
            // Every patch or create that the summary reports as written must have cleared its finding.
            if ((action.equals("patch") || action.equals("create")) && o.out().contains(target)
                    && !o.out().contains(target + ": ")) {
                assertFalse(after.containsKey(key(f)), "still reported after the fix: " + key(f));
                fixed++;
            }
        }
        assertTrue(fixed >= 5, "patched and created findings checked: " + fixed);
        for (JsonNode f : after.values()) {
            assertNotEquals("CronJob", f.at("/resource/kind").asText(), f.toString());
            assertNotEquals("HeaderRemoval", f.path("type").asText(), f.toString());
        }
    }

    @Test
    void enforceOnlyLeavesAuditModePoliciesAlone() throws IOException {
        Outcome o = fix("--enforce-only");
        assertEquals(FixCommand.OK, o.code(), o.err());
        for (String rel : files(snap)) {
            assertArrayEquals(Files.readAllBytes(snap.resolve(rel)), Files.readAllBytes(out.resolve(rel)), rel);
        }
        assertFalse(Files.exists(out.resolve(FixCommand.GENERATED_DIR)));
        assertTrue(o.out().contains("files changed: 0"), o.out());
        assertTrue(o.out().contains("enforce-mode policies only"), o.out());
    }

    @Test
    void enforceOnlyAppliesEnforceModePolicies() throws IOException {
        Outcome o = run(false, "--snapshot", snap.toString(), "--policies",
                FIXTURES.resolve("enforce-policies").toString(), "--out", out.toString(), "--enforce-only");
        assertEquals(FixCommand.OK, o.code(), o.err());
        for (String rel : files(snap)) {
            boolean same = java.util.Arrays.equals(Files.readAllBytes(snap.resolve(rel)),
                    Files.readAllBytes(out.resolve(rel)));
            assertEquals(!rel.equals("batch/jobs.yaml"), same, rel);
        }
    }

    @Test
    void listItemsAndJsonFilesArePatchedInPlace() throws IOException {
        Path listSnap = tmp.resolve("list-snap");
        copyTree(FIXTURES.resolve("list-snapshot"), listSnap);
        Outcome o = run(false, "--snapshot", listSnap.toString(), "--policies",
                FIXTURES.resolve("enforce-policies").toString(), "--out", out.toString());
        assertEquals(FixCommand.OK, o.code(), o.err());
        String inject = "/spec/jobTemplate/spec/template/metadata/labels/sidecar.istio.io~1inject";
        JsonNode list = YAML.readTree(out.resolve("batch-list.yaml").toFile());
        assertEquals("List", list.path("kind").asText());
        assertEquals(2, list.path("items").size());
        assertEquals("batch", list.at("/items/0/metadata/name").asText());
        assertEquals(YAML.readTree(listSnap.resolve("batch-list.yaml").toFile()).at("/items/0"),
                list.at("/items/0"), "the other item is unchanged");
        assertEquals("false", list.at("/items/1" + inject).asText());
        JsonNode json = JSON.readTree(out.resolve("hourly.json").toFile());
        assertEquals("false", json.at(inject).asText());
        assertArrayEquals(Files.readAllBytes(listSnap.resolve("istiod.yaml")),
                Files.readAllBytes(out.resolve("istiod.yaml")));
        // The rewritten files still load, and nothing is left to fix.
        Outcome audit = run(true, "--snapshot", out.toString(), "--policies",
                FIXTURES.resolve("enforce-policies").toString());
        assertEquals(AuditCommand.OK, audit.code(), audit.out() + audit.err());
    }

    @Test
    void fileThatCannotBeCutIsRewrittenWholeInDocumentOrder() throws IOException {
        Path markerSnap = tmp.resolve("marker-snap");
        copyTree(FIXTURES.resolve("marker-snapshot"), markerSnap);
        Outcome o = run(false, "--snapshot", markerSnap.toString(), "--policies",
                FIXTURES.resolve("enforce-policies").toString(), "--out", out.toString());
        assertEquals(FixCommand.OK, o.code(), o.err());
        List<JsonNode> before = docs(Files.readString(markerSnap.resolve("batch.yaml")));
        List<JsonNode> after = docs(Files.readString(out.resolve("batch.yaml")));
        assertEquals(3, after.size());
        assertEquals(before.get(0), after.get(0));
        assertEquals("false",
                after.get(1).at("/spec/jobTemplate/spec/template/metadata/labels/sidecar.istio.io~1inject").asText());
        assertEquals(before.get(2), after.get(2), "strings that look like numbers or booleans stay strings");
        Outcome audit = run(true, "--snapshot", out.toString(), "--policies",
                FIXTURES.resolve("enforce-policies").toString());
        assertEquals(AuditCommand.OK, audit.code(), audit.out() + audit.err());
    }

    @Test
    void hiddenFoldersAreNotCopied() throws IOException {
        Files.createDirectories(snap.resolve(".git"));
        Files.writeString(snap.resolve(".git/config"), "[core]\n");
        assertEquals(FixCommand.OK, fix().code());
        assertFalse(Files.exists(out.resolve(".git")));
    }

    @Test
    void badUsageExitsTwo() {
        assertEquals(FixCommand.USAGE, run(false).code());
        Outcome noOut = run(false, "--snapshot", snap.toString(), "--policies", POLICIES);
        assertEquals(FixCommand.USAGE, noOut.code());
        assertTrue(noOut.err().contains("--out"), noOut.err());
        assertEquals(FixCommand.USAGE, fix("--bogus").code());
        assertEquals(FixCommand.USAGE, fix("--include-audit", "--enforce-only").code());
        Outcome missing = run(false, "--snapshot", tmp.resolve("nope").toString(), "--policies", POLICIES,
                "--out", out.toString());
        assertEquals(FixCommand.USAGE, missing.code());
        assertTrue(missing.err().contains(tmp.resolve("nope").toString()), missing.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void brokenManifestExitsTwoNamingTheFileAndWritesNothing() throws IOException {
        Files.writeString(snap.resolve("shop/broken.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n");
        Outcome o = fix();
        assertEquals(FixCommand.USAGE, o.code());
        assertTrue(o.err().contains("broken.yaml"), o.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void nonEmptyOutIsRefusedUnlessForced() throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("README.md"), "mine\n");
        Outcome o = fix();
        assertEquals(FixCommand.USAGE, o.code());
        assertTrue(o.err().contains("not empty"), o.err());
        assertEquals(List.of("README.md"), files(out));
        Outcome forced = fix("--force");
        assertEquals(FixCommand.OK, forced.code(), forced.err());
        assertEquals("mine\n", Files.readString(out.resolve("README.md")), "--force replaces, never deletes");
        assertTrue(Files.isRegularFile(out.resolve("batch/jobs.yaml")));
    }

    @Test
    void outInsideTheSnapshotIsRefusedEvenWithForce() {
        Path inside = snap.resolve("fixed");
        Outcome o = run(false, "--snapshot", snap.toString(), "--policies", POLICIES, "--out", inside.toString(),
                "--force");
        assertEquals(FixCommand.USAGE, o.code());
        assertTrue(o.err().contains("inside the snapshot"), o.err());
        assertFalse(Files.exists(inside));
        assertEquals(FixCommand.USAGE, run(false, "--snapshot", snap.toString(), "--policies", POLICIES,
                "--out", snap.toString(), "--force").code());
    }

    private static TreeMap<String, JsonNode> findings(Path snapshot) throws IOException {
        Outcome a = run(true, "--snapshot", snapshot.toString(), "--policies", POLICIES, "--output", "json");
        assertTrue(a.code() == AuditCommand.OK || a.code() == AuditCommand.FINDINGS, a.err());
        TreeMap<String, JsonNode> out = new TreeMap<>();
        for (JsonNode f : JSON.readTree(a.out()).path("findings")) {
            out.put(key(f), f);
        }
        return out;
    }

    private static String key(JsonNode f) {
        JsonNode r = f.path("resource");
        return f.path("policy").asText() + "|" + f.path("rule").asText() + "|" + r.path("kind").asText() + "|"
                + r.path("namespace").asText() + "|" + r.path("name").asText() + "|" + f.path("path").asText();
    }

    private static List<JsonNode> docs(String yaml) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                out.add((JsonNode) it.next());
            }
        }
        return out;
    }

    private static List<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }
}

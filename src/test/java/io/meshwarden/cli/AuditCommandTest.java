package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policy.Documents;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCommandTest {
    static final String SNAPSHOT = "examples/snapshot";
    static final String POLICIES = "examples/policies";

    @TempDir
    Path tmp;

    record Outcome(int code, String out, String err) {
    }

    static Outcome audit(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AuditCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void exampleMeshHasFindingsOfEveryTypeInJson() {
        Outcome o = audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--output", "json");
        assertEquals(AuditCommand.FINDINGS, o.code(), o.err());
        JsonNode doc = Documents.parseOne(o.out().getBytes(StandardCharsets.UTF_8), false);
        JsonNode findings = doc.get("findings");
        assertTrue(findings.size() > 0);
        assertEquals(findings.size(), doc.at("/summary/findings").asInt());
        Set<String> types = new HashSet<>();
        for (JsonNode f : findings) {
            for (String key : List.of("policy", "type", "rule", "severity", "resource", "helmRelease", "path",
                    "expected", "actual", "message", "remedy")) {
                assertTrue(f.has(key), "finding lacks " + key + ": " + f);
            }
            for (String key : List.of("apiVersion", "kind", "namespace", "name")) {
                assertTrue(f.get("resource").has(key), "resource lacks " + key);
            }
            types.add(f.get("type").asText());
        }
        assertEquals(Set.of("HaMinimum", "InjectionExclusion", "HeaderRemoval", "ProxySizing", "TraceSampling",
                "MeshAddons", "ControlPlaneMonitoring", "WorkloadHa", "IstioHygiene",
                "SidecarCoverage"), types,
                "the example mesh is built to break every policy type");
        assertTrue(doc.at("/summary/score").asDouble() < 100);
        assertTrue(doc.at("/summary/byType/HaMinimum").asInt() > 0);
    }

    @Test
    void exampleFindingsCarryTheFactsThatMatter() {
        JsonNode doc = Documents.parseOne(audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--output", "json")
                .out().getBytes(StandardCharsets.UTF_8), false);
        boolean helmAutoscale = false;
        boolean cronJob = false;
        boolean payments = false;
        for (JsonNode f : doc.get("findings")) {
            if (f.get("rule").asText().startsWith("ha-helm") && f.at("/helmRelease/name").asText().equals("istiod")) {
                helmAutoscale = true;
                assertEquals(2, f.at("/helmRelease/revision").asInt(), "the deployed revision, not the superseded");
            }
            if (f.at("/resource/kind").asText().equals("CronJob")) {
                assertEquals("nightly-report", f.at("/resource/name").asText(), "cleanup already opts out");
                cronJob = true;
            }
            if (f.get("type").asText().equals("ProxySizing") && f.at("/resource/namespace").asText()
                    .equals("payments")) {
                payments = true;
            }
        }
        assertTrue(helmAutoscale, "istiod values autoscaleMin 1 < 2");
        assertTrue(cronJob, "CronJob without inject=false on Istio 1.26");
        assertFalse(payments, "payments is exempt from proxy-sizing by namespace annotation");
    }

    @Test
    void textAndYamlOutputs() {
        Outcome text = audit("--snapshot", SNAPSHOT, "--policies", POLICIES);
        assertEquals(AuditCommand.FINDINGS, text.code());
        assertTrue(text.out().contains("finding(s); score"), text.out());
        assertTrue(text.out().contains("DANGER  control-plane-ha"), text.out());
        Outcome yaml = audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--output", "yaml");
        JsonNode fromYaml = Documents.parseOne(yaml.out().getBytes(StandardCharsets.UTF_8), true);
        JsonNode fromJson = Documents.parseOne(audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--output",
                "json").out().getBytes(StandardCharsets.UTF_8), false);
        assertEquals(fromJson.get("findings").size(), fromYaml.get("findings").size());
        assertEquals(fromJson.get("summary"), fromYaml.get("summary"));
    }

    @Test
    void failOnThreshold() throws Exception {
        Path policies = Files.createDirectories(tmp.resolve("policies"));
        for (String f : List.of("strip-envoy-headers.yaml", "trace-sampling.yaml")) {
            Files.copy(Path.of(POLICIES, f), policies.resolve(f));
        }
        // strip-envoy-headers (danger, violated) and trace-sampling (warning, violated).
        assertEquals(AuditCommand.FINDINGS, audit("--snapshot", SNAPSHOT, "--policies", policies.toString(),
                "--fail-on", "danger").code());
        Files.writeString(policies.resolve("strip-envoy-headers.yaml"), Files.readString(Path.of(POLICIES,
                "strip-envoy-headers.yaml")).replace("severity: danger", "severity: warning"));
        assertEquals(AuditCommand.OK, audit("--snapshot", SNAPSHOT, "--policies", policies.toString(), "--fail-on",
                "danger").code(), "only warnings: below the danger threshold");
        assertEquals(AuditCommand.FINDINGS, audit("--snapshot", SNAPSHOT, "--policies", policies.toString(),
                "--fail-on", "warning").code());
    }

    @Test
    void compliantSnapshotExitsZero() throws Exception {
        Path policies = Files.createDirectories(tmp.resolve("p"));
        Files.writeString(policies.resolve("t.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: tracing}
                spec: {type: TraceSampling, parameters: {maxPercent: 50}}
                """);
        Outcome o = audit("--snapshot", SNAPSHOT, "--policies", policies.toString(), "--output", "json");
        assertEquals(AuditCommand.OK, o.code(), o.out());
        assertEquals(0, Documents.parseOne(o.out().getBytes(StandardCharsets.UTF_8), false).get("findings").size());
    }

    @Test
    void badUsageAndBadInputExitTwoWithAClearMessage() throws Exception {
        assertEquals(AuditCommand.USAGE, audit().code());
        assertEquals(AuditCommand.USAGE, audit("--snapshot", SNAPSHOT).code());
        assertEquals(AuditCommand.USAGE, audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--output", "xml")
                .code());
        assertEquals(AuditCommand.USAGE, audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--fail-on", "info")
                .code());
        assertEquals(AuditCommand.USAGE, audit("--snapshot", SNAPSHOT, "--policies", POLICIES, "--bogus").code());
        Outcome missing = audit("--snapshot", tmp.resolve("nope").toString(), "--policies", POLICIES);
        assertEquals(AuditCommand.USAGE, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());

        Path policies = Files.createDirectories(tmp.resolve("bad-policies"));
        Files.writeString(policies.resolve("broken.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: broken}
                spec: {type: TraceSampling, parameters: {maxPercent: 500}}
                """);
        Outcome bad = audit("--snapshot", SNAPSHOT, "--policies", policies.toString());
        assertEquals(AuditCommand.USAGE, bad.code());
        assertTrue(bad.err().contains("broken.yaml") && bad.err().contains("/spec/parameters/maxPercent"), bad.err());

        Path snapshot = Files.createDirectories(tmp.resolve("bad-snapshot"));
        Files.writeString(snapshot.resolve("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: [x\n");
        Outcome badSnapshot = audit("--snapshot", snapshot.toString(), "--policies", POLICIES);
        assertEquals(AuditCommand.USAGE, badSnapshot.code());
        assertTrue(badSnapshot.err().contains("deploy.yaml"), badSnapshot.err());
    }
}

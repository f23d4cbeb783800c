package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.meshwarden.cli.AuditCommandTest.Outcome;
import io.meshwarden.evaluate.Note;
import io.meshwarden.policies.PolicyTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The CI formats (issue 19): SARIF validated against the published SARIF 2.1.0 schema and JUnit XML against Maven
 * Surefire's published report schema (both in src/test/resources/schemas, see the README there), and the notes
 * that keep a clean result from passing for a complete one, in every format.
 */
class AuditFormatsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Outcome audit(String... args) {
        return AuditCommandTest.audit(args);
    }

    // ---------------------------------------------------------------- SARIF

    static Set<String> sarifErrors(String text) throws IOException {
        JsonSchema schema;
        try (InputStream in = AuditFormatsTest.class.getResourceAsStream("/schemas/sarif-schema-2.1.0.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        Set<String> out = new HashSet<>();
        for (ValidationMessage m : schema.validate(JSON.readTree(text))) {
            out.add(m.getMessage());
        }
        return out;
    }

    @Test
    void sarifOfTheExampleMeshValidatesAndPointsAtManifestLines() throws IOException {
        Outcome o = audit("--snapshot", AuditCommandTest.SNAPSHOT, "--policies", AuditCommandTest.POLICIES,
                "--output", "sarif");
        assertEquals(AuditCommand.FINDINGS, o.code(), o.err());
        assertEquals(Set.of(), sarifErrors(o.out()));
        JsonNode run = JSON.readTree(o.out()).at("/runs/0");
        JsonNode rules = run.at("/tool/driver/rules");
        Set<String> ids = new HashSet<>();
        rules.forEach(r -> ids.add(r.get("id").asText()));
        PolicyTypes.ALL.forEach(k -> k.rules().forEach(r -> assertTrue(ids.contains(r.id()), r.id())));
        for (JsonNode r : rules) {
            assertTrue(r.at("/shortDescription/text").asText().length() > 5, r.toString());
            String help = r.get("helpUri").asText();
            assertTrue(help.startsWith("https://"), help);
            // The page each link names exists in this repository.
            String page = help.substring(AuditCommandTestAccessDocs.BASE.length()).replaceFirst("#.*", "");
            assertTrue(Files.exists(Path.of(page)), "no page " + page + " for " + r.get("id"));
        }
        JsonNode results = run.get("results");
        JsonNode json = JSON.readTree(audit("--snapshot", AuditCommandTest.SNAPSHOT, "--policies",
                AuditCommandTest.POLICIES, "--output", "json").out());
        assertEquals(json.get("findings").size() + json.get("evaluationNotes").size(), results.size());
        int located = 0;
        for (JsonNode r : results) {
            assertEquals(r.get("ruleId").asText(), rules.get(r.get("ruleIndex").asInt()).get("id").asText());
            assertTrue(Set.of("error", "warning", "note").contains(r.get("level").asText()));
            JsonNode physical = r.at("/locations/0/physicalLocation");
            String uri = physical.at("/artifactLocation/uri").asText();
            assertTrue(uri.startsWith("examples/"), uri);
            if (physical.has("region")) {
                located++;
                Path file = Path.of(uri);
                List<String> lines = Files.readAllLines(file);
                int line = physical.at("/region/startLine").asInt();
                String name = r.at("/locations/0/logicalLocations/0/fullyQualifiedName").asText()
                        .replaceFirst(".*/", "").replaceFirst("^\\S+ ", "");
                // The document starts at that line, and its name follows within the object's first lines.
                String head = String.join("\n", lines.subList(line - 1, Math.min(lines.size(), line + 12)));
                assertTrue(head.contains(name), uri + ":" + line + " is not " + name + ":\n" + head);
            }
        }
        assertTrue(located >= json.get("findings").size(), "every finding of the example has its line");
        JsonNode hpa = null;
        for (JsonNode r : results) {
            if (r.get("ruleId").asText().equals("ha-hpa-min-replicas")) {
                hpa = r;
            }
        }
        assertEquals("error", hpa.get("level").asText(), "danger is error");
        assertTrue(hpa.at("/message/text").asText().contains("Remedy: patch HorizontalPodAutoscaler istio-system/istiod"
                + ": {\"spec\":{\"minReplicas\":2}}"), hpa.toString());
    }

    @Test
    void sarifSchemaRejectsWhatIsNotSarif() throws IOException {
        // The validator is live: a result without its message and a level SARIF does not know are refused.
        String broken = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\"}},"
                + "\"results\":[{\"ruleId\":\"a\",\"level\":\"danger\"}]}]}";
        assertFalse(sarifErrors(broken).isEmpty());
    }

    @Test
    void docsUrlIsConfigurable() throws IOException {
        Outcome o = audit("--snapshot", AuditCommandTest.SNAPSHOT, "--policies", AuditCommandTest.POLICIES,
                "--output", "sarif", "--docs-url", "https://docs.example.org/mw");
        JsonNode rule = JSON.readTree(o.out()).at("/runs/0/tool/driver/rules/0");
        assertTrue(rule.get("helpUri").asText().startsWith("https://docs.example.org/mw/docs/rules/"), rule.toString());
        assertEquals(AuditCommand.USAGE, audit("--snapshot", AuditCommandTest.SNAPSHOT, "--policies",
                AuditCommandTest.POLICIES, "--docs-url", "docs").code());
    }

    // ---------------------------------------------------------------- JUnit

    static Document junitValid(String xml) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        Document doc = dbf.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        Schema schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(
                new StreamSource(AuditFormatsTest.class.getResource("/schemas/surefire-test-report.xsd").toString()));
        Element root = doc.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        // Surefire's schema describes one <testsuite>; the <testsuites> wrapper holds nothing else.
        Validator v = schema.newValidator();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE) {
                assertEquals("testsuite", n.getNodeName());
                v.validate(new DOMSource(n));
            } else {
                assertTrue(n.getNodeType() == Node.TEXT_NODE && n.getTextContent().isBlank());
            }
        }
        return doc;
    }

    @Test
    void junitOfTheExampleMeshValidatesWithASuitePerPolicyAndACasePerRule() throws Exception {
        Outcome o = audit("--snapshot", AuditCommandTest.SNAPSHOT, "--policies", AuditCommandTest.POLICIES,
                "--output", "junit");
        assertEquals(AuditCommand.FINDINGS, o.code(), o.err());
        Document doc = junitValid(o.out());
        var suites = doc.getElementsByTagName("testsuite");
        assertEquals(11, suites.getLength(), "ten policies and the notes");
        Element ha = null;
        for (int i = 0; i < suites.getLength(); i++) {
            if (((Element) suites.item(i)).getAttribute("name").equals("control-plane-ha")) {
                ha = (Element) suites.item(i);
            }
        }
        assertTrue(ha != null, "a suite for the HaMinimum policy control-plane-ha");
        assertEquals(10, Integer.parseInt(ha.getAttribute("tests")), "HaMinimum's ten rule ids");
        int failures = 0;
        var cases = ha.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            var f = c.getElementsByTagName("failure");
            if (f.getLength() > 0) {
                failures++;
                Element failure = (Element) f.item(0);
                assertEquals("danger", failure.getAttribute("type"));
                assertTrue(failure.getTextContent().contains("remedy:"), failure.getTextContent());
            }
        }
        assertEquals(failures, Integer.parseInt(ha.getAttribute("failures")));
        assertTrue(failures > 0);
        Element hpa = null;
        for (int i = 0; i < cases.getLength(); i++) {
            if (((Element) cases.item(i)).getAttribute("name").equals("ha-hpa-min-replicas")) {
                hpa = (Element) cases.item(i);
            }
        }
        assertTrue(hpa.getTextContent().contains("HorizontalPodAutoscaler istio-system/istiod"), hpa.getTextContent());
    }

    @Test
    void junitSchemaRejectsWhatSurefireWouldNotRead() {
        String broken = "<testsuites><testsuite name=\"x\" tests=\"1\"><testcase name=\"a\"/></testsuite></testsuites>";
        try {
            junitValid(broken);
        } catch (SAXException e) {
            return;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("a suite without failures/errors/skipped and a case without time passed");
    }

    // ---------------------------------------------------------------- notes

    @Test
    void noPoliciesIsANoteInEveryFormatAndFailsOnlyWhenAsked() throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("policies"));
        String[] base = {"--snapshot", AuditCommandTest.SNAPSHOT, "--policies", empty.toString()};
        Outcome text = audit(base);
        assertEquals(AuditCommand.OK, text.code(), text.err());
        assertTrue(text.out().contains("note[no-policies]"), text.out());
        JsonNode json = JSON.readTree(audit(concat(base, "--output", "json")).out());
        assertEquals(Note.NO_POLICIES, json.at("/evaluationNotes/0/code").asText(), json.toString());
        String yaml = audit(concat(base, "--output", "yaml")).out();
        assertTrue(yaml.contains("evaluationNotes:") && yaml.contains("no-policies"), yaml);
        Outcome sarif = audit(concat(base, "--output", "sarif"));
        assertEquals(Set.of(), sarifErrors(sarif.out()));
        JsonNode result = JSON.readTree(sarif.out()).at("/runs/0/results/0");
        assertEquals("note", result.get("level").asText());
        assertEquals(Note.NO_POLICIES, result.get("ruleId").asText());
        assertEquals(empty.toUri().toString().replaceFirst("/$", ""),
                result.at("/locations/0/physicalLocation/artifactLocation/uri").asText(), "an absolute path is a URI");
        Document junit = junitValid(audit(concat(base, "--output", "junit")).out());
        assertEquals(1, junit.getElementsByTagName("skipped").getLength());
        assertEquals(AuditCommand.FINDINGS, audit(concat(base, "--fail-on", "warning,note")).code());
        assertEquals(AuditCommand.FINDINGS, audit(concat(base, "--fail-on", "note")).code());
        Document failing = junitValid(audit(concat(base, "--output", "junit", "--fail-on", "note")).out());
        assertEquals(1, failing.getElementsByTagName("failure").getLength());
        assertEquals(AuditCommand.OK, audit(concat(base, "--fail-on", "danger")).code());
    }

    @Test
    void noIstiodNoReleaseAndATargetThatSelectsNothingAreNoted() throws IOException {
        Path snapshot = Files.createDirectory(tmp.resolve("snapshot"));
        Files.writeString(snapshot.resolve("app.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: web, image: web}]}
                """);
        Path policies = Files.createDirectory(tmp.resolve("policies"));
        Files.writeString(policies.resolve("ha.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: ha}
                spec:
                  type: HaMinimum
                  parameters: {components: [istiod, billing]}
                """);
        Files.writeString(policies.resolve("sizing.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: sizing}
                spec:
                  type: ProxySizing
                  target: {namespaces: {include: [nowhere]}}
                  parameters: {requests: {cpu: 200m, memory: 128Mi}}
                """);
        Outcome o = audit("--snapshot", snapshot.toString(), "--policies", policies.toString(), "--output", "json");
        assertEquals(AuditCommand.OK, o.code(), o.err() + o.out());
        Set<String> notes = new HashSet<>();
        JSON.readTree(o.out()).get("evaluationNotes").forEach(n -> notes.add(n.get("code").asText() + " "
                + n.get("policy").asText() + " " + n.get("message").asText().replaceFirst(".*'(\\w+)'.*", "$1")));
        assertTrue(notes.contains("no-istiod null no istiod found (no Helm release of the istiod or istio chart, Sail "
                + "Istio, IstioOperator, or Deployment labelled app=istiod): is this the mesh's snapshot?"), notes
                .toString());
        assertTrue(notes.contains("no-helm-release ha istiod"), notes.toString());
        assertTrue(notes.contains("no-helm-release ha billing"), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("target-selects-nothing sizing ")), notes.toString());
        Outcome sarif = audit("--snapshot", snapshot.toString(), "--policies", policies.toString(), "--output",
                "sarif", "--fail-on", "danger,note");
        assertEquals(AuditCommand.FINDINGS, sarif.code());
        assertEquals(Set.of(), sarifErrors(sarif.out()));
        for (JsonNode r : JSON.readTree(sarif.out()).at("/runs/0/results")) {
            if (r.get("ruleId").asText().equals(Note.TARGET_SELECTS_NOTHING)
                    && r.at("/message/text").asText().contains("sizing")) {
                assertEquals(policies.resolve("sizing.yaml").toUri().toString(),
                        r.at("/locations/0/physicalLocation/artifactLocation/uri").asText(), "the policy's file");
            }
        }
    }

    @Test
    void failOnKeepsItsOldFormsAndRefusesUnknownWords() {
        String[] base = {"--snapshot", AuditCommandTest.SNAPSHOT, "--policies", AuditCommandTest.POLICIES};
        assertEquals(AuditCommand.FINDINGS, audit(concat(base, "--fail-on", "warning")).code());
        assertEquals(AuditCommand.FINDINGS, audit(concat(base, "--fail-on", "danger")).code());
        Outcome bad = audit(concat(base, "--fail-on", "warning,error"));
        assertEquals(AuditCommand.USAGE, bad.code());
        assertTrue(bad.err().contains("comma list of warning, danger and note"), bad.err());
        assertEquals(AuditCommand.USAGE, audit(concat(base, "--output", "xml")).code());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The default docs URL, which every rule link starts with. */
    static final class AuditCommandTestAccessDocs {
        static final String BASE = io.meshwarden.report.SarifReport.DEFAULT_DOCS_URL;
    }
}

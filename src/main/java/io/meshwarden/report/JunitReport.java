package io.meshwarden.report;

import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.policy.MeshPolicy;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * An audit as JUnit XML, what every CI shows as tests: a {@code <testsuite>} per policy, a {@code <testcase>} per
 * rule of its type, failing with every finding of that rule and its remedy; the notes in a last suite,
 * {@code meshwarden.notes}, skipped (or failed, when {@code --fail-on} includes notes).
 *
 * <p>Why a test case per policy × rule and not per object: CIs track a test by its name from run to run (flaky,
 * fixed, new failure), and a rule's name is stable while the objects come and go; a 10k-workload cluster would
 * also make 10k test cases of which the CI pages would show little. The objects are each listed in the failure.
 */
public final class JunitReport {
    public static final String NOTES_SUITE = "meshwarden.notes";

    private JunitReport() {
    }

    /** @param notesFail whether notes fail the run (then they are failures, else skipped tests) */
    public static String of(EvaluationResult result, List<MeshPolicy> policies, boolean notesFail) {
        Map<String, List<Finding>> byPolicyRule = new LinkedHashMap<>();
        for (Finding f : result.findings()) {
            byPolicyRule.computeIfAbsent(f.policy() + "\n" + f.rule(), k -> new ArrayList<>()).add(f);
        }
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            w.writeStartDocument("UTF-8", "1.0");
            w.writeCharacters("\n");
            w.writeStartElement("testsuites");
            w.writeAttribute("name", "meshwarden");
            int tests = 0;
            int failures = 0;
            for (MeshPolicy p : policies) {
                tests += rules(p).size();
                for (RuleId r : rules(p)) {
                    failures += byPolicyRule.containsKey(p.name() + "\n" + r.id()) ? 1 : 0;
                }
            }
            tests += result.notes().size();
            failures += notesFail ? result.notes().size() : 0;
            w.writeAttribute("tests", Integer.toString(tests));
            w.writeAttribute("failures", Integer.toString(failures));
            w.writeAttribute("errors", "0");
            w.writeAttribute("skipped", Integer.toString(notesFail ? 0 : result.notes().size()));
            w.writeAttribute("time", "0");
            for (MeshPolicy p : policies) {
                policySuite(w, p, byPolicyRule);
            }
            notesSuite(w, result.notes(), notesFail);
            w.writeCharacters("\n");
            w.writeEndElement();
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write JUnit XML", e);
        }
        return out + "\n";
    }

    private static List<RuleId> rules(MeshPolicy p) {
        return p.spec().type() instanceof PolicyKind kind ? kind.rules() : List.of();
    }

    private static void policySuite(XMLStreamWriter w, MeshPolicy p, Map<String, List<Finding>> byPolicyRule)
            throws XMLStreamException {
        List<RuleId> rules = rules(p);
        int failed = 0;
        for (RuleId r : rules) {
            failed += byPolicyRule.containsKey(p.name() + "\n" + r.id()) ? 1 : 0;
        }
        w.writeCharacters("\n  ");
        w.writeStartElement("testsuite");
        w.writeAttribute("name", p.name());
        w.writeAttribute("tests", Integer.toString(rules.size()));
        w.writeAttribute("failures", Integer.toString(failed));
        w.writeAttribute("errors", "0");
        w.writeAttribute("skipped", "0");
        w.writeAttribute("time", "0");
        for (RuleId r : rules) {
            List<Finding> findings = byPolicyRule.get(p.name() + "\n" + r.id());
            w.writeCharacters("\n    ");
            w.writeStartElement("testcase");
            w.writeAttribute("name", r.id());
            w.writeAttribute("classname", p.name());
            w.writeAttribute("time", "0");
            if (findings != null) {
                w.writeStartElement("failure");
                w.writeAttribute("type", findings.get(0).severity().wire());
                w.writeAttribute("message", clean(findings.size() + " finding(s): " + findings.get(0).message()));
                w.writeCharacters(clean(ReportDocuments.findingsText(findings)));
                w.writeEndElement();
            }
            w.writeEndElement();
        }
        w.writeCharacters("\n  ");
        w.writeEndElement();
    }

    private static void notesSuite(XMLStreamWriter w, List<Note> notes, boolean notesFail) throws XMLStreamException {
        w.writeCharacters("\n  ");
        w.writeStartElement("testsuite");
        w.writeAttribute("name", NOTES_SUITE);
        w.writeAttribute("tests", Integer.toString(notes.size()));
        w.writeAttribute("failures", Integer.toString(notesFail ? notes.size() : 0));
        w.writeAttribute("errors", "0");
        w.writeAttribute("skipped", Integer.toString(notesFail ? 0 : notes.size()));
        w.writeAttribute("time", "0");
        for (Note n : notes) {
            w.writeCharacters("\n    ");
            w.writeStartElement("testcase");
            w.writeAttribute("name", n.code() + (n.policy() == null ? "" : " " + n.policy()));
            w.writeAttribute("classname", NOTES_SUITE);
            w.writeAttribute("time", "0");
            w.writeStartElement(notesFail ? "failure" : "skipped");
            if (notesFail) {
                w.writeAttribute("type", "note");
            }
            w.writeAttribute("message", clean(n.line()));
            w.writeEndElement();
            w.writeEndElement();
        }
        w.writeCharacters("\n  ");
        w.writeEndElement();
    }

    /** XML 1.0 cannot hold most control characters, even escaped; a message from a manifest might carry one. */
    static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            boolean ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                    || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000;
            sb.appendCodePoint(ok ? c : 0xFFFD);
        });
        return sb.toString();
    }
}

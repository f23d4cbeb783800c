package io.meshwarden.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.SourceLocation;
import io.meshwarden.policy.Severity;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An audit as a SARIF 2.1.0 log, the format GitHub and GitLab code scanning show inline: one rule per rule id (and
 * per note code) with its documentation page, one result per finding and per note. Every result has a physical
 * location, because code scanning drops results without one: the object's manifest file and line when the loader
 * kept it, else the folder that was audited (the policy's file for a note about a policy).
 */
public final class SarifReport {
    public static final String VERSION = "2.1.0";
    public static final String SCHEMA =
            "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    /** Where the rule pages live unless {@code --docs-url} says otherwise; pages are at {@code docs/rules/<id>.md}. */
    public static final String DEFAULT_DOCS_URL = "https://github.com/meshwarden/meshwarden/blob/main/";
    /** The notes' section of the CI page, {@code docs/ci.md#<code>}. */
    static final String NOTES_PAGE = "docs/ci.md";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Map<String, String> NOTE_SUMMARIES = notes();

    /**
     * What the writer needs besides the result.
     *
     * @param rules           every rule id the policy types know, in the registry's order
     * @param sources         where each object starts, keyed like {@code ResourceRef.toString()}
     * @param policySources   where each policy is defined, by policy name
     * @param snapshotRoot    the manifest folder (or file) that was audited
     * @param policiesRoot    the policy folder
     */
    public record Context(String toolVersion, String docsUrl, List<RuleId> rules, Map<String, SourceLocation> sources,
            Map<String, SourceLocation> policySources, String snapshotRoot, String policiesRoot) {
        public Context {
            docsUrl = docsUrl.endsWith("/") ? docsUrl : docsUrl + "/";
            rules = List.copyOf(rules);
            sources = Map.copyOf(sources);
            policySources = Map.copyOf(policySources);
        }
    }

    private SarifReport() {
    }

    private static Map<String, String> notes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(Note.NO_POLICIES, "The audit had no policies");
        m.put(Note.NO_ISTIOD, "No istiod in the snapshot");
        m.put(Note.NO_HELM_RELEASE, "No Helm release installs a component a policy names");
        m.put(Note.TARGET_SELECTS_NOTHING, "A policy made no check");
        m.put(Note.NO_RUNNING_PODS, "No running pods in the snapshot");
        m.put(Note.UNRESOLVED_REVISION, "A revision that names no installed istiod (a revision tag?)");
        return m;
    }

    public static ObjectNode of(EvaluationResult result, Context ctx) {
        ObjectNode log = F.objectNode();
        log.put("$schema", SCHEMA);
        log.put("version", VERSION);
        ObjectNode run = log.putArray("runs").addObject();
        ObjectNode driver = run.putObject("tool").putObject("driver");
        driver.put("name", "meshwarden");
        driver.put("version", ctx.toolVersion());
        driver.put("informationUri", ctx.docsUrl() + "README.md");
        ArrayNode rules = driver.putArray("rules");
        Map<String, Integer> index = new HashMap<>();
        for (RuleId r : ctx.rules()) {
            index.put(r.id(), rules.size());
            rules.add(rule(r.id(), r.summary(), ctx.docsUrl() + r.docsPath()));
        }
        NOTE_SUMMARIES.forEach((code, summary) -> {
            index.put(code, rules.size());
            rules.add(rule(code, summary, ctx.docsUrl() + NOTES_PAGE + "#" + code));
        });
        ArrayNode results = run.putArray("results");
        for (Finding f : result.findings()) {
            results.add(finding(f, index, ctx));
        }
        for (Note n : result.notes()) {
            results.add(note(n, index, ctx));
        }
        run.putArray("invocations").addObject().put("executionSuccessful", true);
        return log;
    }

    private static ObjectNode rule(String id, String summary, String helpUri) {
        ObjectNode r = F.objectNode();
        r.put("id", id);
        r.putObject("shortDescription").put("text", summary);
        r.putObject("help").put("text", summary + ". What it checks, why, the remedy and examples: " + helpUri)
                .put("markdown", summary + ". [What it checks, why, the remedy and examples](" + helpUri + ")");
        r.put("helpUri", helpUri);
        return r;
    }

    static String level(Severity s) {
        return s == Severity.DANGER ? "error" : "warning";
    }

    private static ObjectNode finding(Finding f, Map<String, Integer> index, Context ctx) {
        ObjectNode o = F.objectNode();
        o.put("ruleId", f.rule());
        Integer i = index.get(f.rule());
        if (i != null) {
            o.put("ruleIndex", i);
        }
        o.put("level", level(f.severity()));
        o.putObject("message").put("text", message(f));
        SourceLocation at = ctx.sources().get(f.resource().toString());
        ObjectNode location = at != null ? physical(at.file(), at.line()) : physical(ctx.snapshotRoot(), 0);
        location.putArray("logicalLocations").addObject().put("fullyQualifiedName", f.resource().toString())
                .put("kind", "object");
        o.putArray("locations").add(location);
        // Lines move when a manifest is edited; this identity does not, so code scanning keeps one alert per problem.
        o.putObject("partialFingerprints").put("meshwarden/v1", f.policy() + "|" + f.rule() + "|" + f.resource()
                + "|" + f.path());
        ObjectNode props = o.putObject("properties");
        props.put("policy", f.policy());
        props.put("type", f.type().name());
        props.put("severity", f.severity().wire());
        props.put("path", f.path());
        props.put("expected", f.expected());
        props.put("actual", f.actual());
        if (f.remedy() != null) {
            props.set("remedy", ReportDocuments.finding(f).get("remedy"));
        }
        return o;
    }

    /** The finding's own message, where it is, and the remedy: what a reviewer reads inline. */
    static String message(Finding f) {
        StringBuilder sb = new StringBuilder(f.message());
        sb.append("\n").append(f.resource()).append(": ").append(f.path()).append(" expected ").append(f.expected())
                .append(", actual ").append(f.actual()).append(" (policy ").append(f.policy()).append(')');
        Remedy r = f.remedy();
        if (r != null && !Remedy.NONE.equals(r.action())) {
            sb.append("\nRemedy: ").append(r.action()).append(' ').append(r.target()).append(r.restartsPods()
                    ? " (restarts pods)" : "").append(": ").append(r.patch() != null ? r.patch() : r.note());
        } else if (r != null && r.note() != null) {
            sb.append("\nRemedy: ").append(r.note());
        }
        return sb.toString();
    }

    private static ObjectNode note(Note n, Map<String, Integer> index, Context ctx) {
        ObjectNode o = F.objectNode();
        o.put("ruleId", n.code());
        o.put("ruleIndex", index.get(n.code()));
        o.put("level", "note");
        o.putObject("message").put("text", n.line());
        SourceLocation at = n.policy() == null ? null : ctx.policySources().get(n.policy());
        String root = Note.NO_POLICIES.equals(n.code()) || n.policy() != null ? ctx.policiesRoot()
                : ctx.snapshotRoot();
        o.putArray("locations").add(at != null ? physical(at.file(), at.line()) : physical(root, 0));
        o.putObject("partialFingerprints").put("meshwarden/v1", n.code() + "|" + n.policy() + "|" + n.message());
        return o;
    }

    private static ObjectNode physical(String file, int line) {
        ObjectNode location = F.objectNode();
        ObjectNode physical = location.putObject("physicalLocation");
        physical.putObject("artifactLocation").put("uri", uri(file));
        if (line > 0) {
            physical.putObject("region").put("startLine", line);
        }
        return location;
    }

    /**
     * A relative path stays relative (code scanning resolves it against the repository root, where a CI job runs),
     * with forward slashes and percent-encoding; an absolute one becomes a file URI.
     */
    static String uri(String file) {
        String path = file.replace('\\', '/');
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        try {
            return path.startsWith("/") ? new URI("file", "", path, null).toASCIIString()
                    : new URI(null, null, path, null).toASCIIString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a path: " + file, e);
        }
    }
}

package io.meshwarden.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.Summary;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.ResourceRef;
import java.util.List;

/**
 * The wire form of reports, shared by the REST API and the {@code audit} command so that both print the same
 * document: {@code {"findings":[...],"summary":{...},"cost":{...}}}.
 */
public final class ReportDocuments {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ReportDocuments() {
    }

    public static ObjectNode report(Report report) {
        return report(report, 0, Integer.MAX_VALUE);
    }

    /**
     * The report with one page of its findings (in their stable order). A big cluster has tens of thousands of
     * findings; a page keeps answers and the memory that builds them bounded.
     */
    public static ObjectNode report(Report report, int offset, int limit) {
        List<Finding> all = report.result().findings();
        int from = Math.min(Math.max(0, offset), all.size());
        int to = (int) Math.min((long) from + Math.max(0, limit), all.size());
        ObjectNode root = findings(all.subList(from, to), report.result().summary());
        if (from > 0 || to < all.size()) {
            root.putObject("page").put("offset", from).put("limit", limit).put("total", all.size());
        }
        root.put("generatedAt", report.generatedAt().toString());
        root.put("source", report.source());
        root.put("policies", report.policies());
        root.set("cost", cost(report.result().cost()));
        ArrayNode notes = root.putArray("notes");
        report.notes().forEach(notes::add);
        root.set("evaluationNotes", notes(report.result().notes()));
        return root;
    }

    /** What the audit could not check: {@code [{"code", "policy", "message"}]}, policy null for the whole audit. */
    public static ArrayNode notes(List<Note> notes) {
        ArrayNode out = F.arrayNode();
        for (Note n : notes) {
            out.addObject().put("code", n.code()).put("policy", n.policy()).put("message", n.message());
        }
        return out;
    }

    public static ObjectNode findings(List<Finding> findings, Summary summary) {
        ObjectNode root = F.objectNode();
        ArrayNode list = root.putArray("findings");
        findings.forEach(f -> list.add(finding(f)));
        root.set("summary", summary(summary));
        return root;
    }

    public static ObjectNode finding(Finding f) {
        ObjectNode o = F.objectNode();
        o.put("policy", f.policy());
        o.put("type", f.type().name());
        o.put("rule", f.rule());
        o.put("severity", f.severity().wire());
        o.set("resource", resource(f.resource()));
        HelmRef h = f.helmRelease();
        if (h == null) {
            o.putNull("helmRelease");
        } else {
            o.putObject("helmRelease").put("namespace", h.namespace()).put("name", h.name()).put("revision",
                    h.revision());
        }
        o.put("path", f.path());
        o.put("expected", f.expected());
        o.put("actual", f.actual());
        o.put("message", f.message());
        Remedy r = f.remedy();
        if (r == null) {
            o.putNull("remedy");
        } else {
            ObjectNode ro = o.putObject("remedy");
            ro.set("target", resource(r.target()));
            ro.put("action", r.action());
            ro.set("patch", r.patch());
            ro.put("restartsPods", r.restartsPods());
            ro.put("note", r.note());
        }
        return o;
    }

    private static ObjectNode resource(ResourceRef r) {
        ObjectNode o = F.objectNode();
        if (r == null) {
            return o;
        }
        o.put("apiVersion", r.apiVersion());
        o.put("kind", r.kind());
        o.put("namespace", r.namespace());
        o.put("name", r.name());
        return o;
    }

    public static ObjectNode summary(Summary s) {
        ObjectNode o = F.objectNode();
        o.put("findings", s.findings());
        ObjectNode byType = o.putObject("byType");
        s.byType().forEach(byType::put);
        ObjectNode byRule = o.putObject("byRule");
        s.byRule().forEach(byRule::put);
        o.put("evaluated", s.evaluated());
        o.put("passed", s.passed());
        o.put("score", s.score());
        return o;
    }

    public static ObjectNode cost(CostSummary c) {
        ObjectNode o = F.objectNode();
        o.put("workloads", c.workloads());
        o.put("currentCpuMillis", c.currentCpuMillis());
        o.put("currentMemoryBytes", c.currentMemoryBytes());
        ArrayNode per = o.putArray("perPolicy");
        for (CostSummary.PolicyCost pc : c.perPolicy()) {
            per.addObject().put("policy", pc.policy()).put("coveredWorkloads", pc.coveredWorkloads())
                    .put("cpuMillis", pc.cpuMillis()).put("memoryBytes", pc.memoryBytes());
        }
        return o;
    }

    /** A terminal-friendly rendering: one block per finding, then the summary. */
    public static String text(List<Finding> findings, Summary summary, CostSummary cost) {
        return text(findings, summary, cost, List.of());
    }

    /** As above, the notes on what could not be checked between the findings and the summary. */
    public static String text(List<Finding> findings, Summary summary, CostSummary cost, List<Note> notes) {
        StringBuilder sb = new StringBuilder(findingsText(findings));
        for (Note n : notes) {
            sb.append(n.line()).append('\n');
        }
        if (!notes.isEmpty()) {
            sb.append('\n');
        }
        summaryText(sb, summary, cost);
        return sb.toString();
    }

    /** One block per finding, each followed by an empty line. */
    public static String findingsText(List<Finding> findings) {
        StringBuilder sb = new StringBuilder();
        for (Finding f : findings) {
            ResourceRef r = f.resource();
            sb.append(f.severity().wire().toUpperCase(java.util.Locale.ROOT)).append("  ").append(f.policy())
                    .append("  ").append(f.rule()).append('\n');
            sb.append("  resource: ").append(r.kind()).append(' ')
                    .append(r.namespace() == null ? "" : r.namespace() + "/").append(r.name()).append('\n');
            if (f.helmRelease() != null) {
                sb.append("  helm:     release ").append(f.helmRelease().namespace()).append('/')
                        .append(f.helmRelease().name()).append(" revision ").append(f.helmRelease().revision())
                        .append('\n');
            }
            sb.append("  path:     ").append(f.path()).append("  expected ").append(f.expected()).append(", actual ")
                    .append(f.actual()).append('\n');
            sb.append("  ").append(f.message()).append('\n');
            Remedy rem = f.remedy();
            if (rem != null && !Remedy.NONE.equals(rem.action())) {
                sb.append("  remedy:   ").append(rem.action()).append(' ').append(rem.target().kind()).append(' ')
                        .append(rem.target().name()).append(rem.restartsPods() ? " (restarts pods)" : "")
                        .append(": ").append(rem.patch() != null ? rem.patch() : rem.note()).append('\n');
            } else if (rem != null && rem.note() != null) {
                sb.append("  remedy:   ").append(rem.note()).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void summaryText(StringBuilder sb, Summary summary, CostSummary cost) {
        sb.append(summary.findings()).append(" finding(s); score ").append(summary.score()).append("% (")
                .append(summary.passed()).append(" of ").append(summary.evaluated()).append(" checks passed)");
        if (!summary.byType().isEmpty()) {
            sb.append("; by type ").append(summary.byType());
        }
        sb.append('\n');
        if (cost != null && cost.workloads() > 0) {
            sb.append("sidecar requests now: ").append(cost.currentCpuMillis()).append("m CPU, ")
                    .append(cost.currentMemoryBytes() / (1024 * 1024)).append("Mi memory over ").append(cost.workloads())
                    .append(" workload(s)");
            for (CostSummary.PolicyCost pc : cost.perPolicy()) {
                sb.append("; under ").append(pc.policy()).append(": ").append(pc.cpuMillis()).append("m, ")
                        .append(pc.memoryBytes() / (1024 * 1024)).append("Mi");
            }
            sb.append('\n');
        }
    }
}

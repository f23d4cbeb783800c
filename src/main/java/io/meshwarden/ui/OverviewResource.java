package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;
import io.meshwarden.Refusal;
import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.orchestrate.AuditJob;
import io.meshwarden.orchestrate.EnforcementService;
import io.meshwarden.orchestrate.Leadership;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.Report;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** The overview: the score now and over the kept audits, findings by severity, policy and namespace, the sidecar cost. */
@Path("/")
@Blocking
@Produces(MediaType.TEXT_HTML)
public class OverviewResource {
    static final String REPORT = "/api/v1/reports/latest";
    static final String RUNS = "/api/v1/runs";
    static final String AUDITS = "/api/v1/audits";
    static final int TOP_NAMESPACES = 10;

    /** @param label shown; @param href the findings filtered to it; @param bar an SVG bar */
    @TemplateData
    public record Count(String label, int count, String href, String bar) {
    }

    @TemplateData

    public record CostRow(String label, int workloads, String cpu, String memory, String cpuBar, String memoryBar) {
    }

    /**
     * @param report whether any audit completed
     * @param history the SVG of the kept audits' scores
     */
    @TemplateData
    public record Overview(boolean report, String generatedAt, double score, int findings, int evaluated,
            int passed, String source, String history, int audits, List<Count> severities, List<Count> policies,
            List<Count> namespaces, int otherNamespaces, List<CostRow> cost, List<String> notes) {
    }

    /** @param lastRun null when no run is kept or the caller may not list runs */
    @TemplateData
    public record Status(String leader, boolean cluster, boolean storeReady, boolean gitopsReady,
            int enforcerFailures, int failureThreshold, RunLine lastRun) {
    }

    @TemplateData

    public record RunLine(String id, String outcome, String startedAt, boolean dryRun, String startedBy,
            int changes) {
    }

    /** What the caller's buttons may do. */
    @TemplateData
    public record Actions(boolean audit, boolean dryRun, boolean enforce) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance overview(Nav nav, Overview o, Status status, Actions can);
    }

    private final LatestReport latest;
    private final AuditJob audits;
    private final EnforcementService runs;
    private final Leadership leadership;
    private final PolicyCatalog catalog;
    private final Viewer viewer;

    public OverviewResource(LatestReport latest, AuditJob audits, EnforcementService runs, Leadership leadership,
            PolicyCatalog catalog, Viewer viewer) {
        this.latest = latest;
        this.audits = audits;
        this.runs = runs;
        this.leadership = leadership;
        this.catalog = catalog;
        this.viewer = viewer;
    }

    @GET
    public TemplateInstance overview() {
        viewer.requireRead(REPORT);
        Actions can = new Actions(viewer.may("POST", AUDITS, false), viewer.may("POST", RUNS, true),
                viewer.may("POST", RUNS, false));
        return Templates.overview(viewer.nav("overview"), overviewOf(latest.get().orElse(null), latest.history()),
                status(), can);
    }

    /** Starts an audit as POST /api/v1/audits does, then shows the overview again. */
    @POST
    @Path("audit")
    public Response audit(@FormParam("csrf") String csrf) {
        viewer.requireAction(csrf, "POST", AUDITS, false);
        try {
            audits.runNow();
        } catch (Refusal e) {
            throw new PageException(e.status(), "Audit not started", e.getMessage());
        }
        return Response.seeOther(URI.create("/")).build();
    }

    private Status status() {
        RunLine last = null;
        if (viewer.may("GET", RUNS, false)) {
            last = runs.runs().stream().findFirst().map(EnforcementRun::summary).map(s -> new RunLine(s.id(),
                    s.outcome(), s.startedAt().toString(), s.dryRun(), s.startedBy(), s.changes())).orElse(null);
        }
        return new Status(leadership.describe(), audits.clusterEnabled(), catalog.storeReady(),
                catalog.gitopsReady(), runs.consecutiveFailures(), runs.failureThreshold(), last);
    }

    static Overview overviewOf(Report report, List<LatestReport.Point> history) {
        if (report == null) {
            return new Overview(false, null, 0, 0, 0, 0, null, null, 0, List.of(), List.of(), List.of(), 0,
                    List.of(), List.of());
        }
        List<Finding> all = report.result().findings();
        var summary = report.result().summary();
        List<Count> severities = counts(all, f -> f.severity().wire(), "severity");
        List<Count> policies = counts(all, Finding::policy, "policy");
        List<Count> namespaces = counts(all, f -> FindingsResource.namespaceOf(f), "namespace");
        int other = Math.max(0, namespaces.size() - TOP_NAMESPACES);
        List<String> notes = new ArrayList<>(report.notes());
        report.result().notes().forEach(n -> notes.add(n.line()));
        return new Overview(true, report.generatedAt().toString(), summary.score(), summary.findings(),
                summary.evaluated(), summary.passed(), report.source(), Charts.history(history), history.size(),
                severities, policies, namespaces.subList(0, Math.min(TOP_NAMESPACES, namespaces.size())), other,
                cost(report.result().cost()), notes);
    }

    /** Largest first; each label links to the findings filtered to it. */
    private static List<Count> counts(List<Finding> findings, Function<Finding, String> key, String param) {
        Map<String, Integer> by = new TreeMap<>();
        findings.forEach(f -> by.merge(key.apply(f), 1, Integer::sum));
        int max = by.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        List<Count> out = new ArrayList<>();
        by.forEach((k, v) -> out.add(new Count(k, v, "/findings?" + param + "=" + FindingsResource.encode(k),
                Charts.bar(v, max, param.equals("severity") ? k : ""))));
        out.sort(Comparator.comparingInt(Count::count).reversed());
        return out;
    }

    private static List<CostRow> cost(CostSummary c) {
        if (c == null || c.workloads() == 0) {
            return List.of();
        }
        long maxCpu = c.currentCpuMillis();
        long maxMem = c.currentMemoryBytes();
        for (CostSummary.PolicyCost p : c.perPolicy()) {
            maxCpu = Math.max(maxCpu, p.cpuMillis());
            maxMem = Math.max(maxMem, p.memoryBytes());
        }
        List<CostRow> rows = new ArrayList<>();
        rows.add(new CostRow("now", c.workloads(), cpu(c.currentCpuMillis()), memory(c.currentMemoryBytes()),
                Charts.bar(c.currentCpuMillis(), maxCpu, "now"), Charts.bar(c.currentMemoryBytes(), maxMem, "now")));
        for (CostSummary.PolicyCost p : c.perPolicy()) {
            rows.add(new CostRow("under " + p.policy(), p.coveredWorkloads(), cpu(p.cpuMillis()),
                    memory(p.memoryBytes()), Charts.bar(p.cpuMillis(), maxCpu, "policy"),
                    Charts.bar(p.memoryBytes(), maxMem, "policy")));
        }
        return rows;
    }

    static String cpu(long millis) {
        return millis >= 10_000 ? String.format(Locale.ROOT, "%.1f cores", millis / 1000.0) : millis + "m";
    }

    static String memory(long bytes) {
        double mib = bytes / (1024.0 * 1024.0);
        return mib >= 10_240 ? String.format(Locale.ROOT, "%.1f GiB", mib / 1024) : String.format(Locale.ROOT,
                "%.0f MiB", mib);
    }
}

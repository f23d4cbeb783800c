package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.enforce.RolloutOutcome;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.orchestrate.EnforcementService;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Enforcement runs: the list, a run's plan as a diff per object with what happened to each change, and the admin's
 * actions (dry run, enforcing run, revert), each behind a confirmation page that shows what will change. The
 * actions are EnforcementService's, as the API's are, with the same access checks and audit lines.
 */
@Path("/runs")
@Blocking
@Produces(MediaType.TEXT_HTML)
public class RunsResource {
    static final String RUNS = OverviewResource.RUNS;

    @TemplateData

    public record RunRow(String id, String href, String trigger, String startedBy, boolean dryRun, String startedAt,
            String outcome, int changes, int applied, int planned, int failed, int deferred, String halt) {
    }

    /** @param status null for changes a run did not reach (a running run's rest) */
    @TemplateData
    public record ChangeView(String id, String action, boolean restartsPods, boolean wouldApply, String policies,
            String rules, String reason, String status, String detail, List<Diffs.Line> lines) {
    }

    @TemplateData

    public record ObjectDiff(String target, List<ChangeView> changes) {
    }

    @TemplateData

    public record SkipRow(String policy, String rule, String target, String action, String reason) {
    }

    @TemplateData

    public record StepRow(String changeId, String target, String action, String result, String detail) {
    }

    @TemplateData

    public record RunView(String id, String trigger, String startedBy, boolean dryRun, String startedAt,
            String finishedAt, String outcome, String error, String halt, List<String> notes,
            List<ObjectDiff> objects, Page page, List<SkipRow> skipped, Page skippedPage, List<StepRow> reverted,
            String revertedBy,
            boolean revertable) {
    }

    /** The buttons this caller may see. */
    @TemplateData
    public record Actions(boolean dryRun, boolean enforce, boolean revert) {
    }

    /**
     * A confirmation: what the action will do (objects: the changes it will make), and the form that does it.
     *
     * @param possible false when there is nothing to confirm (no dry run to show yet): the form is left out
     */
    @TemplateData
    public record Confirm(String title, String explain, String action, String mode, String button,
            String buttonClass, boolean possible, String planFrom, List<ObjectDiff> objects, Page page, String cancel) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance runs(Nav nav, List<RunRow> runs, Actions can, String latestDryRun);

        static native TemplateInstance run(Nav nav, RunView run, Actions can);

        static native TemplateInstance confirm(Nav nav, Confirm c);
    }

    private final EnforcementService service;
    private final Viewer viewer;
    private final Duration answerWithin;

    public RunsResource(EnforcementService service, Viewer viewer, MeshwardenConfig config) {
        this.service = service;
        this.viewer = viewer;
        this.answerWithin = config.enforce().answerWithin();
    }

    @GET
    public TemplateInstance list() {
        viewer.requireRead(RUNS);
        List<RunRow> rows = new ArrayList<>();
        for (EnforcementRun r : service.runs()) {
            EnforcementRun.Summary s = r.summary();
            rows.add(new RunRow(s.id(), "/runs/" + s.id(), s.trigger(), s.startedBy(), s.dryRun(),
                    s.startedAt().toString(), s.outcome(), s.changes(), s.applied(), s.planned(), s.failed(),
                    s.deferred(), s.halt()));
        }
        return Templates.runs(viewer.nav("runs"), rows, actions(null), latestDryRun().map(EnforcementRun::id)
                .orElse(null));
    }

    @GET
    @Path("{id}")
    public TemplateInstance run(@PathParam("id") String id, @QueryParam("page") String page,
            @QueryParam("skipped") String skipped) {
        viewer.requireRead(RUNS + "/" + id);
        EnforcementRun run = find(id);
        return Templates.run(viewer.nav("runs"), view(run, page, skipped), actions(run));
    }

    /** The confirmation of a dry run (it changes nothing) or of an enforcing run (the latest dry run's plan). */
    @GET
    @Path("new")
    public TemplateInstance confirmStart(@QueryParam("mode") String mode, @QueryParam("page") String page) {
        viewer.requireRead(RUNS);
        if ("enforce".equals(mode)) {
            Optional<EnforcementRun> dry = latestDryRun();
            Paged objects = dry.map(r -> paged(byObject(r, true), page, "/runs/new?mode=enforce&page="))
                    .orElse(Paged.NONE);
            return Templates.confirm(viewer.nav("runs"), new Confirm("Start an enforcing run",
                    dry.isEmpty() ? "No dry run is kept: start a dry run first to see what an enforcing run would "
                            + "change." : "An enforcing run plans again now and applies the changes of the "
                            + "enforce-mode policies: those below, from the latest dry run, unless the cluster or "
                            + "the policies changed since. Pod-restarting changes roll out one workload at a time.",
                    "/runs", "enforce", "Apply: start the enforcing run", "danger", dry.isPresent(),
                    dry.map(EnforcementRun::id).orElse(null), objects.views(), objects.page(), "/runs"));
        }
        return Templates.confirm(viewer.nav("runs"), new Confirm("Start a dry run", "A dry run reads the cluster, "
                + "evaluates every policy and plans; it changes nothing. Its plan shows every change an enforcing "
                + "run would make (and previews those of audit-mode policies).", "/runs", "dry-run",
                "Start the dry run", "primary", true, null, List.of(), Page.EMPTY, "/runs"));
    }

    @POST
    public Response start(@FormParam("csrf") String csrf, @FormParam("mode") String mode) {
        boolean dryRun = !"enforce".equals(mode);
        viewer.requireAction(csrf, "POST", RUNS, dryRun);
        Caller who = viewer.caller();
        EnforcementRun run;
        try {
            run = service.start("manual", dryRun, who, answerWithin);
        } catch (Refusal e) {
            throw new PageException(e.status(), "Run not started", e.getMessage());
        }
        AuditLog.run(who, "run.start", run.id(), dryRun, run.outcome());
        return Response.seeOther(URI.create("/runs/" + run.id())).build();
    }

    @GET
    @Path("{id}/revert")
    public TemplateInstance confirmRevert(@PathParam("id") String id, @QueryParam("page") String page) {
        viewer.requireRead(RUNS + "/" + id);
        EnforcementRun run = find(id);
        Paged objects = paged(revertsByObject(run), page, "/runs/" + run.id() + "/revert?page=");
        boolean possible = revertable(run) && objects.page().total() > 0;
        return Templates.confirm(viewer.nav("runs"), new Confirm("Revert " + run.id(), possible
                ? "Reverting restores every field this run patched and deletes the objects it created, provided none "
                        + "changed since; the run's policies are then put on hold for these objects until released."
                : "This run has nothing to revert (a dry run, nothing applied, or reverted already).",
                "/runs/" + run.id() + "/revert", "revert", "Revert the run", "danger", possible, null,
                objects.views(), objects.page(), "/runs/" + run.id()));
    }

    @POST
    @Path("{id}/revert")
    public Response revert(@PathParam("id") String id, @FormParam("csrf") String csrf) {
        viewer.requireAction(csrf, "POST", RUNS + "/" + id + "/revert", false);
        Caller who = viewer.caller();
        EnforcementRun reverted;
        try {
            reverted = service.revert(id, who);
        } catch (Refusal e) {
            throw new PageException(e.status(), "Not reverted", e.getMessage());
        }
        AuditLog.run(who, "run.revert", id, false, reverted.outcome());
        for (Reverter.Step step : reverted.reverted()) {
            AuditLog.clusterBy(who, id, "cluster." + step.action(), step.target(), null, null, step.changeId(), null,
                    step.result() + (step.detail() == null ? "" : ": " + step.detail()));
        }
        return Response.seeOther(URI.create("/runs/" + id)).build();
    }

    private EnforcementRun find(String id) {
        return service.get(id).orElseThrow(() -> new PageException(404, "No such run", "no run '" + (id.length()
                > 80 ? id.substring(0, 80) + "…" : id) + "' is kept"));
    }

    private Optional<EnforcementRun> latestDryRun() {
        return service.runs().stream().filter(r -> r.dryRun() && r.plan() != null && r.finishedAt() != null)
                .findFirst();
    }

    private Actions actions(EnforcementRun run) {
        boolean revert = run != null && revertable(run) && viewer.may("POST", RUNS + "/" + run.id() + "/revert",
                false);
        return new Actions(viewer.may("POST", RUNS, true), viewer.may("POST", RUNS, false), revert);
    }

    private static boolean revertable(EnforcementRun run) {
        return !run.dryRun() && run.revert() == null && !"running".equals(run.outcome())
                && run.outcomes().stream().anyMatch(o -> o.status() == RolloutOutcome.Status.APPLIED);
    }

    static RunView view(EnforcementRun r, String page, String skippedAsked) {
        // At 10k workloads thousands of changes are skipped (e.g. Jobs): paged as the plan is, on a parameter of its own.
        List<Skipped> allSkipped = r.plan() == null ? List.of() : r.plan().skipped();
        Page skippedPage = Page.of(allSkipped.size(), skippedAsked, "/runs/" + r.id() + "?skipped=");
        List<SkipRow> skipped = allSkipped.subList(skippedPage.start(), skippedPage.to()).stream().map(s -> new SkipRow(
                s.policy(), s.rule(), s.target() == null ? "" : s.target().toString(), s.action(), s.reason()))
                .toList();
        List<StepRow> steps = r.reverted().stream().map(s -> new StepRow(s.changeId(), s.target(), s.action(),
                s.result(), s.detail())).toList();
        Paged objects = paged(byObject(r, false), page, "/runs/" + r.id() + "?page=");
        return new RunView(r.id(), r.trigger(), r.startedBy(), r.dryRun(), r.startedAt().toString(),
                r.finishedAt() == null ? null : r.finishedAt().toString(), r.outcome(), r.error(),
                r.halt() == null ? null : r.halt().describe(), r.notes(), objects.views(), objects.page(), skipped, skippedPage,
                steps, r.revert() == null ? null : r.revert().by(), revertable(r));
    }

    /** One page of objects, each with its changes; the diffs are drawn for this page's objects alone. */
    record Paged(List<ObjectDiff> views, Page page) {
        static final Paged NONE = new Paged(List.of(), Page.EMPTY);
    }

    /** An object's changes before they are drawn: a plan at 10k workloads has thousands. */
    private record Pending(ResourceRef target, List<Supplier<ChangeView>> changes) {
    }

    private static Paged paged(List<Pending> all, String asked, String base) {
        Page page = Page.of(all.size(), asked, base);
        List<ObjectDiff> views = new ArrayList<>();
        for (Pending p : all.subList(page.start(), page.to())) {
            views.add(new ObjectDiff(p.target().toString(), p.changes().stream().map(Supplier::get).toList()));
        }
        return new Paged(views, page);
    }

    private static List<Pending> grouped(Map<ResourceRef, List<Supplier<ChangeView>>> by) {
        List<Pending> out = new ArrayList<>(by.size());
        by.forEach((k, v) -> out.add(new Pending(k, v)));
        return out;
    }

    /** The plan grouped by object, in plan order; onlyApplying keeps the changes an enforcing run would make. */
    static List<Pending> byObject(EnforcementRun r, boolean onlyApplying) {
        if (r.plan() == null) {
            return List.of();
        }
        Map<String, RolloutOutcome> outcomes = new HashMap<>();
        r.outcomes().forEach(o -> outcomes.put(o.change().id(), o));
        Map<ResourceRef, List<Supplier<ChangeView>>> by = new LinkedHashMap<>();
        for (Change c : r.plan().changes()) {
            if (onlyApplying && !c.wouldApply()) {
                continue;
            }
            RolloutOutcome o = outcomes.get(c.id());
            by.computeIfAbsent(c.target(), k -> new ArrayList<>()).add(() -> new ChangeView(c.id(), c.action(),
                    c.restartsPods(), c.wouldApply(), String.join(", ", c.policies()), String.join(", ", c.rules()),
                    c.reason(), o == null ? null : o.status().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                    o == null ? null : o.detail(), Diffs.of(c.action(), c.body())));
        }
        return grouped(by);
    }

    /** What a revert writes: each applied change's revert patch (or the deletion of what it created). */
    static List<Pending> revertsByObject(EnforcementRun r) {
        Map<ResourceRef, List<Supplier<ChangeView>>> by = new LinkedHashMap<>();
        for (RolloutOutcome o : r.outcomes()) {
            ApplyResult.Outcome a = o.apply();
            if (o.status() != RolloutOutcome.Status.APPLIED || a == null) {
                continue;
            }
            Change c = o.change();
            by.computeIfAbsent(c.target(), k -> new ArrayList<>()).add(() -> new ChangeView(c.id(), c.action(),
                    c.restartsPods(), true, String.join(", ", c.policies()), String.join(", ", c.rules()),
                    c.reason(), "applied", o.detail(), Change.CREATE.equals(c.action())
                            ? List.of(new Diffs.Line("-", "the object this run created", "del"))
                            : a.revertPatch() == null ? List.of(new Diffs.Line(" ", "(no revert patch recorded)", "ctx"))
                            : Diffs.of(Change.PATCH, a.revertPatch())));
        }
        return grouped(by);
    }
}

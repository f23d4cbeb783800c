package io.meshwarden.api;

import io.meshwarden.MeshwardenConfig;
import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.auth.CurrentCaller;
import io.meshwarden.enforce.EnforcementRun;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.orchestrate.EnforcementService;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/runs")
@Tag(name = "Enforcement runs", description = "Plan and apply the remedies of enforce-mode policies")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class RunResource {
    @Inject
    EnforcementService service;
    @Inject
    CurrentCaller caller;
    @Inject
    MeshwardenConfig config;

    @POST
    @Operation(summary = "Start an enforcement run", description = "Reads the cluster, evaluates every policy, "
            + "builds the plan (changes of enforce-mode policies, in order, each with its exact patch or new object) "
            + "and applies it: changes that restart nothing first (rate-limited), then pod-restarting changes one workload "
            + "at a time, each waiting for its rollout to complete; a missed deadline, crash-looping pods or an HPA surge "
            + "halt the run and defer the rest. With dryRun=true it stops after the plan and reports what it would "
            + "send, for every policy: changes of audit-mode policies are previewed with wouldApply=false. Objects a "
            + "revert put on hold are skipped (\"on hold since revert of run X\").")
    @APIResponse(responseCode = "200", description = "Nothing to do (outcome nothing-to-do): no change to apply; "
            + "Location names the run")
    @APIResponse(responseCode = "201", description = "The finished dry run (outcome planned), or a run that failed to "
            + "plan; Location names it")
    @APIResponse(responseCode = "202", description = "The run with its plan, applying in the background through the "
            + "rollout budget; or a run (a dry run too) still planning after meshwarden.enforce.answer-within (20 s), "
            + "with an empty plan and outcome running; poll Location")
    @APIResponse(responseCode = "409", description = "A run is already in progress")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public Response start(@Parameter(description = "Plan only; apply nothing") @QueryParam("dryRun")
            @DefaultValue("false") boolean dryRun, @Context UriInfo uriInfo) {
        Caller who = caller.get();
        EnforcementRun run = service.start("manual", dryRun, who, config.enforce().answerWithin());
        AuditLog.run(who, "run.start", run.id(), dryRun, run.outcome());
        java.net.URI location = uriInfo.getAbsolutePathBuilder().path(run.id()).build();
        if ("running".equals(run.outcome())) {
            return Response.accepted(run).location(location).build();
        }
        if ("nothing-to-do".equals(run.outcome())) {
            return Response.ok(run).location(location).build();
        }
        return Response.created(location).entity(run).build();
    }

    @GET
    @Operation(summary = "List runs", description = "Newest first, as summaries")
    @APIResponse(responseCode = "200", description = "The runs kept in memory")
    public List<EnforcementRun.Summary> list() {
        return service.runs().stream().map(EnforcementRun::summary).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Read a run", description = "Its plan, what happened to each change (with the body sent "
            + "and the patch that would revert it), notes and any revert")
    @APIResponse(responseCode = "200", description = "The run")
    @APIResponse(responseCode = "404", description = "No such run")
    public EnforcementRun get(@PathParam("id") String id) {
        return service.get(id).orElseThrow(() -> Refusal.notFound("no run '" + id + "'"));
    }

    @POST
    @Path("/{id}/revert")
    @Operation(summary = "Revert a run", description = "Restores every field the run patched and deletes the "
            + "objects it created, provided none of them changed since, and puts the run's policies on hold for those "
            + "objects (annotation meshwarden.io/hold): later runs skip them until POST /{id}/release or a change of "
            + "the policy. Pod-restarting reverts go through the rollout budget, one workload at a time.")
    @APIResponse(responseCode = "200", description = "The run with its revert steps and holds")
    @APIResponse(responseCode = "202", description = "The revert restarts workloads and is rolling out in the "
            + "background (outcome reverting); poll the run")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "409", description = "An object changed since the run, nothing to revert, or "
            + "already reverted")
    public Response revert(@PathParam("id") String id) {
        Caller who = caller.get();
        EnforcementRun reverted = service.revert(id, who);
        AuditLog.run(who, "run.revert", id, false, reverted.outcome());
        for (Reverter.Step step : reverted.reverted()) {
            AuditLog.clusterBy(who, id, "cluster." + step.action(), step.target(), null, null, step.changeId(), null,
                    step.result() + (step.detail() == null ? "" : ": " + step.detail()));
        }
        return "reverting".equals(reverted.outcome()) ? Response.accepted(reverted).build()
                : Response.ok(reverted).build();
    }

    @POST
    @Path("/{id}/release")
    @Operation(summary = "Release a revert's holds", description = "Removes the meshwarden.io/hold annotations the "
            + "run's revert put on the objects it reverted (only where they still name this run), so the run's "
            + "policies change those objects again from the next run")
    @APIResponse(responseCode = "200", description = "The run; revert.released says when")
    @APIResponse(responseCode = "404", description = "No such run")
    @APIResponse(responseCode = "409", description = "The run was not reverted, or its holds were already released")
    public EnforcementRun release(@PathParam("id") String id) {
        Caller who = caller.get();
        EnforcementRun released = service.release(id, who);
        AuditLog.run(who, "run.release", id, false, released.outcome());
        return released;
    }
}

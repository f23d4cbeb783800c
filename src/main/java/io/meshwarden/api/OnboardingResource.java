package io.meshwarden.api;

import io.meshwarden.Refusal;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.Caller;
import io.meshwarden.auth.CurrentCaller;
import io.meshwarden.enforce.OnboardingPlan;
import io.meshwarden.enforce.OnboardingProgress;
import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.orchestrate.OnboardingService;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Violation;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/onboarding/{policy}")
@Tag(name = "Onboarding", description = "Restart the workloads a SidecarCoverage policy reports, in stages")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class OnboardingResource {
    private static final String POLICY = "The SidecarCoverage policy's name";
    private final OnboardingService service;
    private final CurrentCaller caller;

    public OnboardingResource(OnboardingService service, CurrentCaller caller) {
        this.service = service;
        this.caller = caller;
    }

    @POST
    @Path("/dry-run")
    @Operation(summary = "Dry run of an onboarding", description = "Reads the cluster and lists, in the order an "
            + "onboarding run would restart them, every workload the policy reports (running pods without the "
            + "sidecar injection gives them now, with one it no longer gives, or from an old revision): workloads "
            + "no HPA scales first, smallest first by running pods, ties by namespace, kind and name; each with its "
            + "batch (parameters.batchSize), the HPA that scales it, and the exact pod-template merge patch: the "
            + "kubectl.kubernetes.io/restartedAt annotation and, with parameters.presizeProxies, the sidecar "
            + "annotations of the ProxySizing policies that cover it. Workloads that lose their sidecar (and mTLS) "
            + "are listed in losesSidecar. Writes nothing to the workloads.")
    @APIResponse(responseCode = "200", description = "The plan (steps empty when nothing needs a restart)")
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "422", description = "The policy's type has no onboarding run (only "
            + "SidecarCoverage has)")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public OnboardingPlan dryRun(@Parameter(description = POLICY) @PathParam("policy") String name) {
        return service.dryRun(onboardingPolicy(name));
    }

    @POST
    @Operation(summary = "Start an onboarding", description = "Reads the cluster, plans as the dry run does and "
            + "restarts the workloads batch by batch in the background: each batch through the rollout budget "
            + "(meshwarden.rollout.*, with the policy's halt values for the deadline, crash loops and HPA surge), "
            + "then a fresh read checks that every restarted workload's running pods carry the sidecar injection "
            + "gives them now (none on the reverse) and, where the metrics API serves pod metrics, that the new "
            + "proxies use at most halt.proxyCpuOverRequest times their CPU request; parameters.pauseSeconds is "
            + "waited between batches. A halt stops it with a MeshwardenRolloutHalted Event on the workload; it then "
            + "waits for POST .../resume. Progress is kept in the annotation meshwarden.io/onboarding on every "
            + "namespace of the plan; a restarted Meshwarden or a new leader resumes a running onboarding from it. "
            + "The changes are recorded as an enforcement run (GET /api/v1/runs/{run}, revertable like one).")
    @APIResponse(responseCode = "202", description = "Started: its run, the progress it starts from and the plan; "
            + "poll GET /api/v1/onboarding/{policy}")
    @APIResponse(responseCode = "200", description = "Nothing to restart: the onboarding is done at once")
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "409", description = "This replica is not the leader, a run, revert or onboarding "
            + "is in progress, or this policy's onboarding is running or halted (resume it instead)")
    @APIResponse(responseCode = "422", description = "The policy's type has no onboarding run")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public Response start(@Parameter(description = POLICY) @PathParam("policy") String name) {
        Caller who = caller.get();
        OnboardingService.Started s = service.start(onboardingPolicy(name), who);
        AuditLog.run(who, "onboarding.start", s.run(), false, s.progress().state());
        return answer(s);
    }

    @POST
    @Path("/resume")
    @Operation(summary = "Resume an onboarding", description = "Carries on a halted onboarding (after a human looked "
            + "at why it halted), or a running one no replica is carrying on: the plan is made again from the "
            + "cluster with the recorded restart time, so a workload whose restart completed is not restarted "
            + "again and one still rolling out is waited for.")
    @APIResponse(responseCode = "202", description = "Resumed: its new run, the progress and the remaining plan")
    @APIResponse(responseCode = "200", description = "Nothing left to restart: the onboarding is done")
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "409", description = "This replica is not the leader, something runs, or the "
            + "policy has no unfinished onboarding")
    @APIResponse(responseCode = "422", description = "The policy's type has no onboarding run")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public Response resume(@Parameter(description = POLICY) @PathParam("policy") String name) {
        Caller who = caller.get();
        OnboardingService.Started s = service.resume(onboardingPolicy(name), who);
        AuditLog.run(who, "onboarding.resume", s.run(), false, s.progress().state());
        return answer(s);
    }

    @GET
    @Operation(summary = "Progress of an onboarding", description = "The progress kept in the cluster (annotation "
            + "meshwarden.io/onboarding): state running, halted (with the reason) or done, the workloads done, the "
            + "current batch, how many are left, and progress as \"x of y workloads\".")
    @APIResponse(responseCode = "200", description = "The progress")
    @APIResponse(responseCode = "404", description = "The policy was never onboarded")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public OnboardingProgress progress(@Parameter(description = POLICY) @PathParam("policy") String name) {
        return service.progress(name).orElseThrow(() -> Refusal.notFound("no onboarding of policy '" + name + "'"));
    }

    private static Response answer(OnboardingService.Started s) {
        return OnboardingProgress.DONE.equals(s.progress().state()) ? Response.ok(s).build()
                : Response.accepted(s).build();
    }

    private MeshPolicy onboardingPolicy(String name) {
        MeshPolicy policy = service.policy(name).orElseThrow(() -> Refusal.notFound("no policy '" + name + "'"));
        if (!(policy.spec().parameters() instanceof StagedRestarts)) {
            String reason = "policy '" + name + "' is of type " + policy.spec().type().name() + ", which has no "
                    + "onboarding run: name a SidecarCoverage policy";
            throw new ApiException(422, "not-an-onboarding-policy", "Not an onboarding policy", reason,
                    List.of(new Violation("path/policy", reason)));
        }
        return policy;
    }
}

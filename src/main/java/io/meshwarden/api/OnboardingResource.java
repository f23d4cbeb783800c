package io.meshwarden.api;

import io.meshwarden.Refusal;
import io.meshwarden.enforce.OnboardingPlan;
import io.meshwarden.evaluate.StagedRestarts;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.orchestrate.OnboardingService;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Violation;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/onboarding/{policy}")
@Tag(name = "Onboarding", description = "Restart the workloads a SidecarCoverage policy reports, in stages")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class OnboardingResource {
    private final OnboardingService service;

    public OnboardingResource(OnboardingService service) {
        this.service = service;
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
            + "are listed in losesSidecar. Writes nothing to the workloads; the run itself is not built yet.")
    @APIResponse(responseCode = "200", description = "The plan (steps empty when nothing needs a restart)")
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "422", description = "The policy's type has no onboarding run (only "
            + "SidecarCoverage has)")
    @APIResponse(responseCode = "503", description = "No cluster is configured")
    public OnboardingPlan dryRun(@Parameter(description = "The SidecarCoverage policy's name") @PathParam("policy")
            String name) {
        MeshPolicy policy = service.policy(name).orElseThrow(() -> Refusal.notFound("no policy '" + name + "'"));
        if (!(policy.spec().parameters() instanceof StagedRestarts)) {
            String reason = "policy '" + name + "' is of type " + policy.spec().type().name() + ", which has no "
                    + "onboarding run: name a SidecarCoverage policy";
            throw new ApiException(422, "not-an-onboarding-policy", "Not an onboarding policy", reason,
                    List.of(new Violation("path/policy", reason)));
        }
        return service.dryRun(policy);
    }
}

package io.meshwarden.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.policy.Documents;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.Report;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Helm values overlays: Meshwarden never writes release Secrets (that corrupts Helm's history), so a values-level
 * finding is fixed by the smallest values file for {@code helm upgrade --reuse-values}.
 */
@Path("/api/v1/helm/{namespace}/{release}/overlay")
@Tag(name = "Helm", description = "Values overlays that make Helm releases compliant")
public class HelmResource {
    private final LatestReport latest;

    public HelmResource(LatestReport latest) {
        this.latest = latest;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
    @Operation(summary = "Values overlay of a release", description = "The deep merge of every values-level remedy "
            + "of the latest audit for this release, with the helm upgrade command. With Accept: application/yaml "
            + "the answer is the overlay file itself.")
    @APIResponse(responseCode = "200", description = "The overlay (empty when the release is compliant)")
    @APIResponse(responseCode = "404", description = "No audit yet, or the release is not in it")
    public Response overlay(@PathParam("namespace") String namespace, @PathParam("release") String release,
            @jakarta.ws.rs.HeaderParam(HttpHeaders.ACCEPT) String accept) {
        Report report = latest.get().orElseThrow(() -> new ApiException(404, "no-report", "No report",
                "no audit has completed yet", null));
        String key = namespace + "/" + release;
        HelmRelease.Chart chart = report.helmCharts().get(key);
        if (chart == null) {
            throw new ApiException(404, "not-found", "Not found", "the latest audit saw no deployed Helm release "
                    + key, null);
        }
        HelmOverlays.Overlay o = HelmOverlays.fold(report.result().findings(), p -> true).overlays().get(key);
        ObjectNode overlay = o == null ? JsonNodeFactory.instance.objectNode() : o.values();
        Set<String> rules = o == null ? Set.of() : new TreeSet<>(o.findings());
        String yaml = overlay.isEmpty() ? "{}\n" : Documents.toYaml(overlay);
        if (accept != null && accept.contains("yaml") && !accept.contains("json")) {
            return Response.ok(yaml, MediaTypes.YAML).build();
        }
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("namespace", namespace).put("release", release).put("chart", chart.name());
        doc.put("chartVersion", chart.version());
        doc.put("compliant", overlay.isEmpty());
        doc.set("overlay", overlay);
        doc.put("overlayYaml", yaml);
        doc.put("command", HelmOverlays.upgradeCommand(chart, namespace, release, "overlay.yaml"));
        doc.put("commandNote", HelmOverlays.REPO_NOTE);
        rules.forEach(doc.putArray("findings")::add);
        doc.put("generatedAt", report.generatedAt().toString());
        return Response.ok(doc, MediaType.APPLICATION_JSON).build();
    }
}

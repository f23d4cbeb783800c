package io.meshwarden.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.orchestrate.AuditJob;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.Report;
import io.meshwarden.report.ReportDocuments;
import io.meshwarden.store.StoreException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1")
@Tag(name = "Reports", description = "Compliance reports of the live cluster")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class ReportResource {
    private final LatestReport latest;
    private final AuditJob audits;
    private final PolicyCatalog catalog;

    public ReportResource(LatestReport latest, AuditJob audits, PolicyCatalog catalog) {
        this.latest = latest;
        this.audits = audits;
        this.catalog = catalog;
    }

    @GET
    @Path("/reports/latest")
    @Operation(summary = "Latest report", description = "Findings, summary (with the compliance score), sidecar "
            + "cost summary and notes of the latest audit")
    @APIResponse(responseCode = "200", description = "The report", content = @Content(schema = @Schema(
            ref = PolicyOpenApi.REPORT)))
    @APIResponse(responseCode = "404", description = "No audit has completed yet")
    public ObjectNode latest(
            @org.eclipse.microprofile.openapi.annotations.parameters.Parameter(description = "First finding")
            @org.eclipse.microprofile.openapi.annotations.media.Schema(type = SchemaType.INTEGER, minimum = "0",
                    maximum = "2147483647", defaultValue = "0")
            @jakarta.ws.rs.QueryParam("offset") String offsetParam,
            @org.eclipse.microprofile.openapi.annotations.parameters.Parameter(description = "Findings per page "
                    + "(at most " + MAX_PAGE + "); the answer has a page object when it is not all of them")
            @org.eclipse.microprofile.openapi.annotations.media.Schema(type = SchemaType.INTEGER, minimum = "1",
                    maximum = "" + MAX_PAGE, defaultValue = "1000")
            @jakarta.ws.rs.QueryParam("limit") String limitParam) {
        // Taken as text: an int parameter that does not parse (abc, 1.5, 1e3, 99999999999) is a 404 in JAX-RS.
        int offset = pagingParameter("offset", offsetParam, 0, 0, Integer.MAX_VALUE);
        int limit = pagingParameter("limit", limitParam, 1000, 1, MAX_PAGE);
        return ReportDocuments.report(require(), offset, limit);
    }

    static final int MAX_PAGE = 5000;

    private static int pagingParameter(String name, String value, int absent, int min, int max) {
        if (value == null || value.isEmpty()) {
            return absent;
        }
        if (!value.matches("-?[0-9]{1,10}")) {
            throw ApiException.badRequest("query/" + name, "must be an integer between " + min + " and " + max
                    + ", got '" + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'");
        }
        long v = Long.parseLong(value);
        if (v < min || v > max) {
            throw ApiException.badRequest("query/" + name, min == 0 && v < 0 ? "must not be negative"
                    : "must be between " + min + " and " + max);
        }
        return (int) v;
    }

    @GET
    @Path("/reports/latest/policies/{name}")
    @Operation(summary = "Latest findings of one policy")
    @APIResponse(responseCode = "200", description = "The policy's findings", content = @Content(schema = @Schema(
            ref = PolicyOpenApi.POLICY_FINDINGS)))
    @APIResponse(responseCode = "404", description = "No such policy, or no audit has completed yet")
    public ObjectNode latestForPolicy(@org.eclipse.microprofile.openapi.annotations.media.Schema(
            pattern = io.meshwarden.policy.PolicySchema.DNS_SUBDOMAIN, maxLength = 253) @PathParam("name") String name) {
        if (catalog.get(name).isEmpty()) {
            throw new StoreException.NotFound(name);
        }
        Report report = require();
        List<Finding> findings = report.findingsOf(name);
        ObjectNode doc = ReportDocuments.findings(findings, report.result().summary());
        doc.remove("summary");
        doc.put("policy", name);
        doc.put("count", findings.size());
        doc.put("generatedAt", report.generatedAt().toString());
        return doc;
    }

    @POST
    @Path("/audits")
    @Operation(summary = "Run an audit now", description = "Reads the live cluster, evaluates every policy and "
            + "publishes the report; answers with its summary (the findings are at /api/v1/reports/latest)")
    @APIResponse(responseCode = "200", description = "The new report's summary, cost and notes; Location names the "
            + "report", content = @Content(schema = @Schema(ref = PolicyOpenApi.REPORT)))
    @APIResponse(responseCode = "409", description = "An audit is already running")
    @APIResponse(responseCode = "503", description = "No cluster is configured, or reading it failed past the "
            + "retries (type cluster-unavailable; nothing is published)")
    public jakarta.ws.rs.core.Response auditNow() {
        ObjectNode doc = ReportDocuments.report(audits.runNow(), 0, 0);
        doc.remove("findings");
        doc.remove("page");
        return jakarta.ws.rs.core.Response.ok(doc).location(java.net.URI.create("/api/v1/reports/latest")).build();
    }

    private Report require() {
        return latest.get().orElseThrow(() -> new ApiException(404, "no-report", "No report",
                "no audit has completed yet" + (audits.clusterEnabled() ? "" : " (no cluster is configured)"),
                null));
    }
}

package io.meshwarden.api;

import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.store.FilePolicyStore;
import io.meshwarden.store.KubernetesPolicyStore;
import io.meshwarden.store.PolicyStore;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/sources")
@Tag(name = "Sources", description = "Where policies come from, their load errors and name conflicts")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class SourcesResource {

    /**
     * The report; GitOps file errors keep their file, line and field violations. Fields that do not apply are sent
     * as null (nullable in the OpenAPI document), not left out.
     */
    public record SourcesReport(StoreStatus store, GitOpsStatus gitops, List<NameConflict> conflicts) {
    }

    /**
     * @param directory the file store's directory; null for the kubernetes store
     * @param error why the store is not ready, when it is not and the reason is known
     * @param errors stored policies that are not served (a file, or a MeshPolicy resource by name)
     */
    public record StoreStatus(String type, String location, @Schema(nullable = true) String directory,
            boolean ready, @Schema(nullable = true) String error,
            int policies, List<PolicyStore.LoadError> errors) {
    }

    public record GitOpsStatus(boolean enabled, @Schema(nullable = true) String directory, boolean ready,
            @Schema(nullable = true) Instant lastScan, @Schema(nullable = true) String error, int policies,
            List<GitOpsSource.FileStatus> files) {
    }

    /** A name defined more than once; the winner is the policy in effect. */
    public record NameConflict(String name, String winner, List<String> shadowed) {
    }

    private final PolicyCatalog catalog;

    public SourcesResource(PolicyCatalog catalog) {
        this.catalog = catalog;
    }

    @GET
    @Operation(summary = "Policy sources", description = "Store and GitOps status, per-file load errors (file, "
            + "line, field, reason) and conflicts between names defined in several places")
    @APIResponse(responseCode = "200", description = "The report")
    public SourcesReport sources() {
        PolicyStore store = catalog.store();
        String directory = store instanceof FilePolicyStore f ? f.directory().toString() : null;
        String error = store instanceof KubernetesPolicyStore k ? k.notReadyReason() : null;
        StoreStatus storeStatus = new StoreStatus(store.type(), store.location(), directory, catalog.storeReady(),
                error, store.list().size(), store.loadErrors());
        GitOpsStatus gitStatus = catalog.gitops().map(g -> new GitOpsStatus(true, g.root().toString(),
                catalog.gitopsReady(), g.lastScan(), g.scanError(), g.policies().size(), g.files()))
                .orElse(new GitOpsStatus(false, null, true, null, null, 0, List.of()));
        List<NameConflict> conflicts = new ArrayList<>();
        catalog.shadowedStorePolicies().forEach(s -> conflicts.add(new NameConflict(s.name(), "gitops:"
                + s.gitopsFile(), List.of("store"))));
        catalog.gitops().ifPresent(g -> g.conflicts().forEach(c -> conflicts.add(new NameConflict(c.name(),
                "gitops:" + c.winnerFile(), c.shadowedFiles().stream().map(f -> "gitops:" + f).toList()))));
        return new SourcesReport(storeStatus, gitStatus, conflicts);
    }
}

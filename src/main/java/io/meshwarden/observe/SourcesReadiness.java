package io.meshwarden.observe;

import io.meshwarden.catalog.PolicyCatalog;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the store directory is loaded and the GitOps tree (when configured) has been read once. */
@Readiness
@ApplicationScoped
public class SourcesReadiness implements HealthCheck {
    private final PolicyCatalog catalog;

    public SourcesReadiness(PolicyCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("policy-sources")
                .status(catalog.storeReady() && catalog.gitopsReady())
                .withData("store", catalog.storeReady())
                .withData("gitops", catalog.gitops().isEmpty() ? "disabled" : String.valueOf(catalog.gitopsReady()))
                .withData("policies", catalog.list().size())
                .build();
    }
}

package io.meshwarden.observe;

import io.meshwarden.orchestrate.EnforcementService;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * DOWN after meshwarden.enforce.failure-threshold consecutive failed runs. A health group of its own
 * (/q/health/group/enforcer), not readiness or liveness: a failing enforcer must neither stop the API from serving
 * reads nor restart a pod whose problem (RBAC, an API server fault) a restart does not fix.
 */
@HealthGroup("enforcer")
@ApplicationScoped
public class EnforcerHealth implements HealthCheck {
    private final EnforcementService service;

    public EnforcerHealth(EnforcementService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        int failures = service.consecutiveFailures();
        return HealthCheckResponse.named("enforcer").status(failures < service.failureThreshold())
                .withData("consecutiveFailures", failures).withData("threshold", service.failureThreshold()).build();
    }
}

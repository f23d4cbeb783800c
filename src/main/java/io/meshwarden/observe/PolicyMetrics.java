package io.meshwarden.observe;

import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Mode;
import io.meshwarden.policy.PolicyType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/** Gauges over the catalog; each reads the live state when Prometheus scrapes, so they never go stale. */
@ApplicationScoped
@Startup
public class PolicyMetrics {

    public PolicyMetrics(MeterRegistry registry, PolicyCatalog catalog) {
        // Every combination is registered up front so that a series drops to 0 instead of vanishing.
        for (PolicyType type : PolicyTypes.ALL) {
            for (Mode mode : Mode.values()) {
                for (PolicyCatalog.Source source : PolicyCatalog.Source.values()) {
                    Gauge.builder("meshwarden.policies", catalog, c -> c.list().stream()
                            .filter(e -> e.source() == source && e.policy().spec().type() == type
                                    && e.policy().spec().mode() == mode)
                            .count())
                            .description("Active policies by type, mode and source")
                            .tag("type", type.name()).tag("mode", mode.wire()).tag("source", source.name())
                            .register(registry);
                }
            }
        }
        Gauge.builder("meshwarden.gitops.load.errors", catalog,
                c -> c.gitops().map(g -> g.errorCount()).orElse(0))
                .description("GitOps policy files that currently fail to load (last-known-good stays active)")
                .register(registry);
        Gauge.builder("meshwarden.store.load.errors", catalog, c -> c.store().loadErrors().size())
                .description("Files in the policy store directory that could not be loaded")
                .register(registry);
    }
}

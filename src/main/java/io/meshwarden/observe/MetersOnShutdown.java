package io.meshwarden.observe;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * Removes Meshwarden's meters when the application stops.
 *
 * <p>Quarkus hands out Micrometer's global composite registry, which outlives one application in a JVM (the test
 * runner starts several). A gauge registered again under the same id returns the old one, still bound to the
 * stopped application's bean: it then reports that bean's stale value, or nothing at all once the weakly held bean
 * is collected. Removing our meters at shutdown lets the next start bind them to its own beans.
 */
@ApplicationScoped
public class MetersOnShutdown {
    static final String PREFIX = "meshwarden.";

    void onStop(@Observes ShutdownEvent event, MeterRegistry registry) {
        List<Meter> ours = registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith(PREFIX)).toList();
        ours.forEach(registry::remove);
    }
}

package io.meshwarden.policies.meshaddons;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.Addon;
import io.meshwarden.model.PodDetails;
import java.util.List;

/**
 * Prometheus, Grafana and Jaeger keep their data (metrics, dashboards and users, traces) where a pod restart loses
 * it: an {@code emptyDir}, the container's own file system, or Jaeger all-in-one's memory.
 */
final class StorageRule {
    static final RuleId EPHEMERAL = new RuleId("addon-ephemeral-storage",
            "Prometheus, Grafana or Jaeger keeps its data in memory or on an emptyDir: a restart loses it");
    /** Jaeger 1.x all-in-one: storage chosen by SPAN_STORAGE_TYPE, memory when unset. */
    static final String ALL_IN_ONE = "jaegertracing/all-in-one";

    private StorageRule() {
    }

    static void check(FoundAddon a, Checks checks) {
        if (a.addon() == Addon.KIALI) {
            return;
        }
        String where = ephemeral(a);
        if (where == null) {
            checks.pass();
            return;
        }
        String path = a.workload().kind().templatePath() + ".spec.volumes";
        checks.fail(EPHEMERAL, Refs.of(a.workload()), null, path, "a PersistentVolumeClaim or an external store",
                where, a.describe() + " keeps its data " + where + ": every restart, eviction or node drain loses it",
                Remedy.none(Refs.of(a.workload()), "Moving data to a volume claim changes the pod template of a demo "
                        + "manifest; " + Replacements.of(a.addon()) + "."));
    }

    /** Where the data lives when a restart loses it, or null when it survives. */
    static String ephemeral(FoundAddon a) {
        PodDetails pod = a.pod();
        PodDetails.Container c = a.main();
        if (a.addon() == Addon.JAEGER && c != null && c.image() != null && c.image().contains(ALL_IN_ONE)) {
            String type = c.env().getOrDefault("SPAN_STORAGE_TYPE", "memory");
            if (type.equals("memory")) {
                return "in memory (all-in-one, SPAN_STORAGE_TYPE " + (c.env().containsKey("SPAN_STORAGE_TYPE")
                        ? "memory" : "unset") + ")";
            }
            if (!type.equals("badger")) {
                return null;
            }
        }
        if (a.addon() == Addon.GRAFANA && c != null && (c.env().containsKey("GF_DATABASE_URL")
                || c.env().containsKey("GF_DATABASE_TYPE") || c.envFrom().contains("GF_DATABASE_URL"))) {
            return null;
        }
        if (pod.hasPersistentStorage()) {
            return null;
        }
        List<String> emptyDirs = pod.volumes().stream().filter(v -> v.source() == PodDetails.Source.EMPTY_DIR)
                .map(PodDetails.Volume::name).toList();
        if (!emptyDirs.isEmpty()) {
            return "on emptyDir volume(s) " + String.join(", ", emptyDirs);
        }
        // Jaeger v2 with no volume at all writes to a backend named in its configuration.
        return a.addon() == Addon.JAEGER ? null : "in the container's own file system (no volume)";
    }
}

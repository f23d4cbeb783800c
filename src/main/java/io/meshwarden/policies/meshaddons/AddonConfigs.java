package io.meshwarden.policies.meshaddons;

import io.meshwarden.model.AddonConfig;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.PodDetails;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The configuration an add-on's pod mounts, and Grafana's INI format. */
final class AddonConfigs {
    private AddonConfigs() {
    }

    /** The first ConfigMap the pod mounts that holds {@code key}. */
    static Optional<AddonConfig> mounted(FoundAddon a, ClusterSnapshot snapshot, String key) {
        for (PodDetails.Volume v : a.pod().volumes()) {
            if (v.source() != PodDetails.Source.CONFIG_MAP || v.reference() == null) {
                continue;
            }
            for (AddonConfig c : snapshot.addonConfigsIn(a.workload().namespace())) {
                if (c.name().equals(v.reference()) && c.data().containsKey(key)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Grafana's INI as {@code section.key} to value ({@code auth.anonymous.enabled}). Grafana reads {@code ;} and
     * {@code #} as comments and lets values be quoted.
     */
    static Map<String, String> ini(String text) {
        Map<String, String> out = new HashMap<>();
        String section = "";
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1).strip().toLowerCase(Locale.ROOT);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(section + "." + line.substring(0, eq).strip().toLowerCase(Locale.ROOT), value);
        }
        return out;
    }
}

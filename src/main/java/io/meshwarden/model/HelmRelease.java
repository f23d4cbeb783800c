package io.meshwarden.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One revision of a Helm v3 release, without its rendered manifest and chart templates. The JSON trees are shared:
 * treat them as read-only.
 *
 * @param revision the release {@code version}
 * @param status   {@code info.status}: deployed, superseded, failed, pending-install, ...
 * @param defaults {@code chart.values}
 * @param config   {@code config}, the values the user supplied
 * @param values   defaults deep-merged with config, as the templates saw them
 */
public record HelmRelease(String name, String namespace, int revision, String status, String chartName,
        String chartVersion, String appVersion, JsonNode defaults, JsonNode config, JsonNode values) {
    public static final String DEPLOYED = "deployed";

    public HelmRelease {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(defaults, "defaults");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(values, "values");
    }

    /** The chart a release was installed from, as Helm records it (no repository). */
    public record Chart(String name, String version) {
    }

    public Chart chart() {
        return new Chart(chartName, chartVersion);
    }

    public boolean isDeployed() {
        return DEPLOYED.equals(status);
    }

    /** An effective value by JSON pointer, e.g. {@code /pilot/autoscaleMin}; a missing node when absent. */
    public JsonNode value(String jsonPointer) {
        return values.at(jsonPointer);
    }
}

package io.meshwarden.istio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;

/**
 * Helm-style values of an Istio installation, wherever they are kept: a Helm release (effective values), or
 * {@code spec.values} of a Sail {@code Istio} or an {@code IstioOperator}. Rules read values by their Helm path and
 * get back paths and remedies in the notation of the source.
 *
 * @param userValues what the user wrote (Helm {@code config}); for the operators' resources the same as values
 * @param revision the Istio revision these values install; null for the default revision
 * @param version  the Istio version as written (app or chart version, Sail spec.version, IstioOperator spec.tag);
 *                 null when unknown
 */
public record ValuesSource(Kind kind, ResourceRef ref, HelmRef helm, JsonNode values, JsonNode userValues, String chart,
        String revision, String version) {

    public enum Kind {
        HELM, SAIL, ISTIO_OPERATOR
    }

    public static ValuesSource of(HelmRelease r) {
        String revision = r.values().path("revision").asText("");
        return new ValuesSource(Kind.HELM, ResourceRef.helmRelease(r.namespace(), r.name()),
                new HelmRef(r.namespace(), r.name(), r.revision()), r.values(), r.config(), r.chartName(),
                revision.isEmpty() || revision.equals("default") ? null : revision,
                r.appVersion() != null && !r.appVersion().isBlank() ? r.appVersion() : r.chartVersion());
    }

    public static ValuesSource of(IstioResource r) {
        JsonNode values = r.spec().path("values");
        boolean sail = r.kind() == io.meshwarden.model.IstioKind.SAIL_ISTIO;
        String revision = sail ? values.path("revision").asText("") : r.spec().path("revision").asText("");
        String version = sail ? r.spec().path("version").asText(null) : r.spec().path("tag").asText(null);
        return new ValuesSource(sail ? Kind.SAIL : Kind.ISTIO_OPERATOR,
                new ResourceRef(r.apiVersion(), r.kind().kindName(), r.namespace(), r.name()), null,
                values.isObject() ? values : MissingNode.getInstance(),
                values.isObject() ? values : MissingNode.getInstance(), "istiod",
                revision.isEmpty() || revision.equals("default") ? null : revision, version);
    }

    /** A value by its Helm path, e.g. {@code pilot.autoscaleMin}. */
    public JsonNode value(String helmPath) {
        return Json.at(values, helmPath);
    }

    /** Whether the user set this path, as opposed to the chart's defaults supplying it. */
    public boolean userSet(String helmPath) {
        return Json.isSet(Json.at(userValues, helmPath));
    }

    /** Whether the values are a Helm release's (fixed by a values overlay) or an operator resource's spec.values. */
    public boolean isHelm() {
        return kind == Kind.HELM;
    }

    /** Where a Helm path lives in this source, for findings. */
    public String path(String helmPath) {
        String shown = userFacing(helmPath);
        return kind == Kind.HELM ? shown : "spec.values." + shown;
    }

    /** Where the charts (1.24+) keep their own defaults; a key read from there is shown as the key users set. */
    public static final String CHART_DEFAULTS = "_internal_defaults_do_not_set.";

    /**
     * The key a user sets for a values path: {@code _internal_defaults_do_not_set.autoscaleMin} is the chart's
     * default of {@code autoscaleMin} (the chart copies its defaults from there), never a key to set.
     */
    public static String userFacing(String helmPath) {
        return helmPath != null && helmPath.startsWith(CHART_DEFAULTS) ? helmPath.substring(CHART_DEFAULTS.length())
                : helmPath;
    }

    @Override
    public String toString() {
        return ref.toString();
    }
}

package io.meshwarden.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.istio.ValuesSource;
import io.meshwarden.model.Json;
import io.meshwarden.model.ResourceRef;

/**
 * What would fix a finding. Remedies are plans only; nothing here applies them.
 *
 * @param target      the object to change (for a values overlay, the Helm release)
 * @param action      {@link #PATCH} (JSON merge patch), {@link #CREATE} (patch is the whole new object),
 *                    {@link #VALUES_OVERLAY} (patch is a Helm values overlay to pass with {@code -f}),
 *                    {@link #DELETE} (retire an object Meshwarden created; patch is null),
 *                    {@link #ROLLOUT_RESTART} (re-create the workload's pods as {@code kubectl rollout restart}
 *                    does; patch is null, since the restart time is only known when it is applied) or
 *                    {@link #NONE} (no safe automatic fix; see note)
 * @param patch       null for {@link #NONE}, {@link #DELETE} and {@link #ROLLOUT_RESTART}
 * @param restartsPods true when applying it re-creates pods (a template change or a control-plane rollout)
 */
public record Remedy(ResourceRef target, String action, JsonNode patch, boolean restartsPods, String note) {
    public static final String PATCH = "patch";
    public static final String CREATE = "create";
    public static final String VALUES_OVERLAY = "values-overlay";
    public static final String DELETE = "delete";
    public static final String NONE = "none";
    /**
     * The pod template's {@value #RESTARTED_AT} annotation set to the time of the restart, so that the workload's
     * controller replaces its pods by its own update strategy; pods are never deleted. Not applied by enforcement
     * runs yet: see the Planner.
     */
    public static final String ROLLOUT_RESTART = "rollout-restart";
    public static final String RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

    public static Remedy none(ResourceRef target, String note) {
        return new Remedy(target, NONE, null, false, note);
    }

    /**
     * The smallest change that sets a Helm path where a component's values live: a values overlay for a release, a
     * merge patch of {@code spec.values} for the operators' resources (they re-render the chart themselves).
     */
    public static Remedy setValue(ValuesSource src, String helmPath, JsonNode value, boolean restartsPods,
            String note) {
        ObjectNode overlay = Json.nest(helmPath, value);
        if (src.isHelm()) {
            return new Remedy(src.ref(), VALUES_OVERLAY, overlay, restartsPods, note);
        }
        return new Remedy(src.ref(), PATCH, Json.nest("spec.values", overlay), restartsPods, note);
    }

    /** A merge patch of any field of an operator resource (Sail Istio, IstioOperator). */
    public static Remedy patchField(ValuesSource src, String fieldPath, JsonNode value, boolean restartsPods,
            String note) {
        return new Remedy(src.ref(), PATCH, Json.nest(fieldPath, value), restartsPods, note);
    }
}

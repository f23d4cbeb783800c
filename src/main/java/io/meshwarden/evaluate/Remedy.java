package io.meshwarden.evaluate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What would fix a finding. Remedies are plans only; nothing here applies them.
 *
 * @param target      the object to change (for a values overlay, the Helm release)
 * @param action      {@link #PATCH} (JSON merge patch), {@link #CREATE} (patch is the whole new object),
 *                    {@link #VALUES_OVERLAY} (patch is a Helm values overlay to pass with {@code -f}) or
 *                    {@link #NONE} (no safe automatic fix; see note)
 * @param patch       null for {@link #NONE}
 * @param restartsPods true when applying it re-creates pods (a template change or a control-plane rollout)
 */
public record Remedy(ResourceRef target, String action, JsonNode patch, boolean restartsPods, String note) {
    public static final String PATCH = "patch";
    public static final String CREATE = "create";
    public static final String VALUES_OVERLAY = "values-overlay";
    public static final String NONE = "none";

    public static Remedy none(ResourceRef target, String note) {
        return new Remedy(target, NONE, null, false, note);
    }
}

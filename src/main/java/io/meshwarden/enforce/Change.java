package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.model.ResourceRef;
import java.util.List;
import java.util.Objects;

/**
 * One write the enforcer may make: a merge patch of an existing object, a new object, or the deletion of an object
 * Meshwarden created.
 *
 * @param id           stable within a plan and across plans of the same findings: {@code kind/namespace/name#n},
 *                     n counting the changes to that object in plan order from 1
 * @param action       {@link #PATCH} (body is a JSON merge patch), {@link #CREATE} (body is the whole object) or
 *                     {@link #DELETE} (body is empty: the object goes only when it carries our managed-by label)
 * @param restartsPods applying it re-creates pods (a pod-template change)
 * @param policies     the policies that asked for it, sorted
 * @param rules        the rule ids of the findings it fixes, sorted
 * @param reason       the findings' messages, for events and the audit trail
 * @param wouldApply   an enforcing run would apply it (its policies are in enforce mode); false for the changes of
 *                     audit-mode policies that a dry run previews
 */
public record Change(String id, ResourceRef target, String action, JsonNode body, boolean restartsPods,
        List<String> policies, List<String> rules, String reason, boolean wouldApply) {
    public static final String PATCH = "patch";
    public static final String CREATE = "create";
    public static final String DELETE = "delete";

    public Change {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(target, "target");
        if (!PATCH.equals(action) && !CREATE.equals(action) && !DELETE.equals(action)) {
            throw new IllegalArgumentException("action must be patch, create or delete, got " + action);
        }
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("body must be a JSON object");
        }
        // Plans are handed around (dry-run output, later the rollout budget): nobody may edit one in place.
        body = body.deepCopy();
        policies = List.copyOf(policies);
        rules = List.copyOf(rules);
    }

    /** A change an enforcing run applies. */
    public Change(String id, ResourceRef target, String action, JsonNode body, boolean restartsPods,
            List<String> policies, List<String> rules, String reason) {
        this(id, target, action, body, restartsPods, policies, rules, reason, true);
    }
}

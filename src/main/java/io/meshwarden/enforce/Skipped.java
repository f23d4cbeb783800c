package io.meshwarden.enforce;

import io.meshwarden.model.ResourceRef;

/**
 * A finding of an ENFORCE policy (of any policy, in a preview) that the enforcer will not fix by itself, and why.
 *
 * @param action the remedy's action as the rule proposed it (patch, create, values-overlay, none), null when the
 *               finding had no remedy
 */
public record Skipped(String policy, String rule, ResourceRef target, String action, String reason) {
}

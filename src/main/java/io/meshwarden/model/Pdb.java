package io.meshwarden.model;

import io.meshwarden.policy.LabelSelector;
import java.util.Map;
import java.util.Objects;

/**
 * A PodDisruptionBudget (policy/v1).
 *
 * @param selector       null when the PDB has no selector, which in policy/v1 selects no pod
 * @param minAvailable   as written: an integer ("1") or a percentage ("50%"); null when absent
 * @param maxUnavailable as written; null when absent
 * @param annotations    kept for the exemption annotation
 * @param ours           Meshwarden created it (it carries {@link Ownership#MANAGED_BY}={@link
 *                       Ownership#MANAGED_BY_VALUE}), so Meshwarden may retire it
 */
public record Pdb(String namespace, String name, LabelSelector selector, String minAvailable, String maxUnavailable,
        Map<String, String> annotations, boolean ours) {
    public Pdb {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        annotations = annotations == null ? Map.of() : annotations;
    }

    public Pdb(String namespace, String name, LabelSelector selector, String minAvailable, String maxUnavailable) {
        this(namespace, name, selector, minAvailable, maxUnavailable, Map.of(), false);
    }

    public boolean selects(Map<String, String> podLabels) {
        return selector != null && selector.matches(podLabels);
    }

    public boolean covers(Workload workload) {
        return namespace.equals(workload.namespace()) && selects(workload.podLabels());
    }
}

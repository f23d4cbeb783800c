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
    private static final int MAX_REPLICAS_SEARCHED = 1000;

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

    /** The field the disruption controller reads: maxUnavailable when set (the API rejects both), else minAvailable. */
    public String budgetField() {
        return maxUnavailable != null ? "maxUnavailable" : minAvailable != null ? "minAvailable" : null;
    }

    /** The value of {@link #budgetField()} as written; null when neither is set. */
    public String budgetValue() {
        return maxUnavailable != null ? maxUnavailable : minAvailable;
    }

    /**
     * Whether the budget leaves no voluntary eviction with {@code replicas} healthy pods, as the disruption controller
     * computes it ({@code getExpectedPodCount} in Kubernetes' {@code pkg/controller/disruption}: percentages of
     * either field round up). False without either field, with no replicas (no pod to evict, no drain held up), and
     * for a value the API server would reject.
     */
    public boolean blocksEviction(int replicas) {
        return replicas > 0 && blocks(replicas) == Boolean.TRUE;
    }

    /**
     * The smallest replica count, from {@code from} on, at which the budget leaves one eviction; 0 when none does up
     * to 1000 (maxUnavailable 0 or 0%, minAvailable 100%), and for no budget or a value the API server would reject.
     */
    public int replicasAllowingEviction(int from) {
        for (int r = Math.max(from, 1); r <= MAX_REPLICAS_SEARCHED; r++) {
            Boolean blocks = blocks(r);
            if (blocks == null) {
                return 0;
            }
            if (!blocks) {
                return r;
            }
        }
        return 0;
    }

    /** null when there is no budget or its value cannot be read. */
    private Boolean blocks(int replicas) {
        try {
            if (maxUnavailable != null) {
                return scaled(maxUnavailable, replicas) <= 0;
            }
            return minAvailable == null ? null : scaled(minAvailable, replicas) >= replicas;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * An IntOrString of a PDB against a replica count: an integer as it is, a percentage rounded up like
     * {@code intstr.GetScaledValueFromIntOrPercent(v, total, true)} (the same double arithmetic).
     *
     * @throws NumberFormatException a value that is neither
     */
    public static int scaled(String intOrPercent, int total) {
        String v = intOrPercent.trim();
        if (v.endsWith("%")) {
            int percent = Integer.parseInt(v.substring(0, v.length() - 1).trim());
            return (int) Math.ceil((double) percent * (double) total / 100);
        }
        return Integer.parseInt(v);
    }
}

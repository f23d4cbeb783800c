package io.meshwarden.evaluate;

import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A policy type as the engine sees it: the document half ({@link PolicyType}) plus its rules. One implementation per
 * folder under {@code io.meshwarden.policies}; the registry there lists them. Implementations are pure: no client,
 * no CDI, no clock.
 */
public interface PolicyKind extends PolicyType {
    /** Every rule id this type can report, each defined once, in its rule's class. */
    List<RuleId> rules();

    /** One policy of this type against a snapshot. */
    RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot);

    /**
     * What this policy could not check in this snapshot although it asks for it (a component it names that nothing
     * installs); empty for most types. A policy that made no check at all is noted by the evaluator.
     */
    default List<Note> notes(MeshPolicy policy, ClusterSnapshot snapshot) {
        return List.of();
    }

    /** What the type says about the sidecars' cost, for the report; empty for most types. */
    default Optional<CostSummary> cost(List<MeshPolicy> policiesOfThisType, ClusterSnapshot snapshot) {
        return Optional.empty();
    }

    /**
     * The change that sizes the sidecar of each given workload as this policy wants, for workloads about to be
     * restarted anyway: the onboarding run folds it into the restart, so that the new sidecar starts sized. Only for
     * workloads the policy covers and whose sidecar it would report; empty for types that size nothing.
     */
    default Map<ResourceRef, Remedy> presize(MeshPolicy policy, List<Workload> workloads, ClusterSnapshot snapshot) {
        return Map.of();
    }
}

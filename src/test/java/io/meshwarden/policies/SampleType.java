package io.meshwarden.policies;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.List;

/**
 * A sixth policy type that exists only in the tests, to show what adding a type takes: this one class (a real type
 * would also have its rule classes, a docs page per rule and a registry line). It flags workloads without a label.
 */
final class SampleType implements PolicyKind {
    static final RuleId MISSING_LABEL = new RuleId("sample-missing-label", "A workload lacks the required label");

    record SampleParameters(String label) implements Parameters {
    }

    private final String field;

    SampleType(String field) {
        this.field = field;
    }

    public String name() {
        return "Sample";
    }

    public String description() {
        return "Every workload carries a label";
    }

    public Shape parameters() {
        return Shape.of(new Field.Enum(field, List.of("team", "owner"), "team", "The label every workload needs"));
    }

    public Parameters read(Shape.Values v) {
        return new SampleParameters(v.string(field));
    }

    public void write(Parameters parameters, ObjectNode out) {
        out.put(field, ((SampleParameters) parameters).label());
    }

    public List<RuleId> rules() {
        return List.of(MISSING_LABEL);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        String label = ((SampleParameters) policy.spec().parameters()).label();
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : snapshot.workloads()) {
            if (!scope.covers(w)) {
                continue;
            }
            if (w.labels().containsKey(label)) {
                checks.pass();
            } else {
                checks.fail(MISSING_LABEL, Refs.of(w), null, "metadata.labels", "a " + label + " label", "unset",
                        w.ref() + " has no " + label + " label", null);
            }
        }
        return checks.outcome();
    }
}

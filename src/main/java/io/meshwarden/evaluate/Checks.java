package io.meshwarden.evaluate;

import io.meshwarden.model.HelmRef;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.List;

/** Collects one policy's checks; every failure becomes exactly one finding, so passed = checks - findings. */
public final class Checks {
    private final MeshPolicy policy;
    private final List<Finding> findings = new ArrayList<>();
    private int checks;

    public Checks(MeshPolicy policy) {
        this.policy = policy;
    }

    public void pass() {
        checks++;
    }

    public void fail(RuleId rule, ResourceRef resource, HelmRef helm, String path, String expected, String actual,
            String message, Remedy remedy) {
        checks++;
        findings.add(new Finding(policy.name(), policy.spec().type(), rule.id(), policy.spec().severity(), resource, helm,
                path, expected, actual, message, remedy));
    }

    public RuleOutcome outcome() {
        return new RuleOutcome(findings, checks);
    }
}

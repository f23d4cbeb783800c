package io.meshwarden.policies.meshaddons;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.PodDetails;

/** Any add-on the policy does not list in {@code allowed}. */
final class AllowedRule {
    static final RuleId NOT_ALLOWED = new RuleId("addon-not-allowed",
            "One of Istio's observability add-ons runs and the policy does not allow it");

    private AllowedRule() {
    }

    static void check(FoundAddon a, MeshAddonsParameters p, Checks checks) {
        if (p.allowed().contains(a.addon().id())) {
            checks.pass();
            return;
        }
        PodDetails.Container c = a.main();
        checks.fail(NOT_ALLOWED, Refs.of(a.workload()), null, c == null ? a.workload().kind().templatePath()
                : a.containerPath(c) + ".image", "one of " + p.allowed(), a.addon().id() + (c == null ? ""
                : " (" + c.image() + ")"),
                a.describe() + " runs, and the policy allows " + (p.allowed().isEmpty() ? "no add-on"
                        : "only " + String.join(", ", p.allowed())),
                Remedy.none(Refs.of(a.workload()), "Remove it (kubectl delete -f " + Replacements.sample(a.addon())
                        + " if it came from Istio's samples) or, if it is needed, "
                        + Replacements.of(a.addon()) + ", and list it in allowed."));
    }
}

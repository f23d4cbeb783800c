package io.meshwarden.policies.meshaddons;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.PodDetails;
import java.util.ArrayList;
import java.util.List;

/** Add-on containers without requests: BestEffort pods, the first evicted under pressure and unschedulable by size. */
final class ResourcesRule {
    static final RuleId MISSING = new RuleId("addon-resources-missing",
            "An add-on's container sets no resource requests");

    private ResourcesRule() {
    }

    static void check(FoundAddon a, Checks checks) {
        List<String> without = new ArrayList<>();
        String path = null;
        for (PodDetails.Container c : a.pod().containers()) {
            if (!c.requests()) {
                without.add(c.name());
                path = path == null ? a.containerPath(c) + ".resources" : path;
            }
        }
        if (without.isEmpty()) {
            checks.pass();
            return;
        }
        checks.fail(MISSING, Refs.of(a.workload()), null, path, "requests set", "none on " + String.join(", ", without),
                a.describe() + ": container(s) " + String.join(", ", without) + " set no resource requests; "
                        + (without.size() == a.pod().containers().size() ? "the pod is BestEffort, " : "")
                        + "the scheduler cannot size it and the kubelet evicts it first",
                Remedy.none(Refs.of(a.workload()), "Requests depend on the mesh's size (Prometheus grows with the "
                        + "number of series); set them in the chart's resources values: " + Replacements.of(a.addon())
                        + "."));
    }
}

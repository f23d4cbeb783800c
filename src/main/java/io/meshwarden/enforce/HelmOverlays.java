package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.ResourceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Values-overlay remedies folded into one overlay per Helm release, and the {@code helm upgrade} line that applies
 * one. Meshwarden never writes release Secrets (that corrupts Helm's history): the API and {@code fix} hand these
 * to the user. Pure.
 */
public final class HelmOverlays {
    /** The overlay of one release: a deep merge of its values remedies, in finding order. */
    public record Overlay(String namespace, String release, ObjectNode values, Set<String> policies,
            Set<String> findings, boolean restartsPods) {
        public String key() {
            return namespace + "/" + release;
        }
    }

    /** @param overlays by {@code namespace/release}, sorted */
    public record Folded(Map<String, Overlay> overlays, List<Skipped> skipped) {
    }

    private HelmOverlays() {
    }

    /**
     * Folds the values overlays of the findings of the policies selected. An overlay that disagrees with an earlier
     * one of the same release on a value is dropped whole and reported, as the Planner does for patches, so no
     * half-applied fix is written.
     */
    public static Folded fold(List<Finding> findings, Predicate<String> policies) {
        Map<String, ObjectNode> values = new TreeMap<>();
        Map<String, Set<String>> byPolicy = new TreeMap<>();
        Map<String, Set<String>> byFinding = new TreeMap<>();
        Map<String, Boolean> restarts = new TreeMap<>();
        Map<String, ResourceRef> targets = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Finding f : findings) {
            Remedy r = f.remedy();
            if (!policies.test(f.policy()) || r == null || !Remedy.VALUES_OVERLAY.equals(r.action())) {
                continue;
            }
            ResourceRef t = r.target() == null ? f.resource() : r.target();
            if (r.patch() == null || !r.patch().isObject() || t.namespace() == null) {
                skipped.add(new Skipped(f.policy(), f.rule(), t, r.action(), "the values overlay carries no values"));
                continue;
            }
            String key = t.namespace() + "/" + t.name();
            ObjectNode v = values.computeIfAbsent(key, k -> JsonNodeFactory.instance.objectNode());
            Set<String> owners = byPolicy.computeIfAbsent(key, k -> new TreeSet<>());
            List<String> conflicts = MergePatch.mergeInto(v, r.patch());
            if (!conflicts.isEmpty()) {
                skipped.add(new Skipped(f.policy(), f.rule(), t, r.action(), "sets " + String.join(", ", conflicts)
                        + " to other values than " + String.join(", ", owners) + "; the first one is kept"));
                continue;
            }
            targets.put(key, t);
            owners.add(f.policy());
            byFinding.computeIfAbsent(key, k -> new TreeSet<>()).add(f.policy() + "/" + f.rule());
            restarts.merge(key, r.restartsPods(), Boolean::logicalOr);
        }
        Map<String, Overlay> out = new TreeMap<>();
        targets.forEach((key, t) -> out.put(key, new Overlay(t.namespace(), t.name(), values.get(key),
                Set.copyOf(byPolicy.get(key)), Set.copyOf(byFinding.get(key)), restarts.get(key))));
        return new Folded(out, skipped);
    }

    /**
     * The line that applies an overlay to a release without touching anything else: the release's own chart at the
     * release's own chart version (without {@code --version} a repository chart would upgrade Istio itself), with the
     * values the release already has. Helm stores no repository, so the chart is written {@code <repo>/<chart>}:
     * replace {@code <repo>} with your repository alias, or the whole reference with the chart's path.
     */
    public static String upgradeCommand(HelmRelease.Chart chart, String namespace, String release,
            String overlayFile) {
        StringBuilder b = new StringBuilder("helm upgrade ").append(release).append(" <repo>/")
                .append(chart == null || chart.name() == null ? "<chart>" : chart.name()).append(" -n ")
                .append(namespace);
        b.append(" --version ").append(chart == null || chart.version() == null ? "<chart version>" : chart.version());
        return b.append(" --reuse-values -f ").append(overlayFile).toString();
    }

    /** How the chart reference of {@link #upgradeCommand} is to be read. */
    public static final String REPO_NOTE = "Helm does not record the repository a release came from: replace <repo> "
            + "with your alias for it (helm repo list), or <repo>/<chart> with the path of the same chart version. "
            + "With a repository chart, --version pins the release's own chart version so only the values change; "
            + "Helm does not check --version against a local chart path.";
}

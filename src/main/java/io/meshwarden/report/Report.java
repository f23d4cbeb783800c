package io.meshwarden.report;

import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One audit: when, against what (a live cluster or a manifest directory), how many policies, and the result.
 * notes carry what the reader skipped (e.g. an Istio API that is not installed) so a clean report is not mistaken
 * for a complete one.
 */
public record Report(Instant generatedAt, String source, int policies, EvaluationResult result, List<String> notes,
        Map<String, HelmRelease.Chart> helmCharts) {
    public Report {
        notes = List.copyOf(notes);
        helmCharts = Map.copyOf(helmCharts);
    }

    /** The chart of each deployed Helm release seen, keyed "namespace/name", for the values-overlay commands. */
    public static Map<String, HelmRelease.Chart> chartsOf(ClusterSnapshot snapshot) {
        Map<String, HelmRelease.Chart> charts = new TreeMap<>();
        snapshot.helmReleases().forEach(r -> charts.put(r.namespace() + "/" + r.name(), r.chart()));
        return charts;
    }

    public List<Finding> findingsOf(String policy) {
        return result.findings().stream().filter(f -> f.policy().equals(policy)).toList();
    }
}

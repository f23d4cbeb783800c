package io.meshwarden.report;

import io.meshwarden.evaluate.Finding;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The most recent audit report, the Prometheus view of it, and the summaries of the last {@value #HISTORY} audits
 * (only counts: a 10k-workload report is megabytes, its point a few dozen bytes).
 */
@ApplicationScoped
public class LatestReport {
    public static final int HISTORY = 100;

    /** One past audit, for the dashboard's score over time. */
    public record Point(Instant generatedAt, double score, int findings, int evaluated) {
    }

    private final MultiGauge findings;
    private final ArrayDeque<Point> history = new ArrayDeque<>();
    private volatile Report latest;

    public LatestReport(MeterRegistry registry) {
        this.findings = MultiGauge.builder("meshwarden.findings")
                .description("Findings of the latest audit by policy, type and severity").register(registry);
        Gauge.builder("meshwarden.compliance.score", this, r -> r.get().map(x -> x.result().summary().score())
                .orElse(Double.NaN)).description("Percent of checks that passed in the latest audit")
                .register(registry);
        Gauge.builder("meshwarden.audit.last.success.timestamp", this, r -> r.get()
                .map(x -> x.generatedAt().toEpochMilli() / 1000.0).orElse(Double.NaN)).baseUnit("seconds")
                .description("When the latest successful audit finished").register(registry);
    }

    public Optional<Report> get() {
        return Optional.ofNullable(latest);
    }

    /** Oldest first, the latest audit last; at most {@value #HISTORY}. */
    public List<Point> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    public void publish(Report report) {
        latest = report;
        synchronized (history) {
            if (history.size() == HISTORY) {
                history.removeFirst();
            }
            history.addLast(new Point(report.generatedAt(), report.result().summary().score(),
                    report.result().summary().findings(), report.result().summary().evaluated()));
        }
        // Series are replaced as a whole so that a fixed problem drops to absent instead of keeping its old count.
        Map<List<String>, Integer> counts = new TreeMap<>((a, b) -> String.join("\u0000", a)
                .compareTo(String.join("\u0000", b)));
        for (Finding f : report.result().findings()) {
            counts.merge(List.of(f.policy(), f.type().name(), f.severity().wire()), 1, Integer::sum);
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        counts.forEach((k, v) -> rows.add(MultiGauge.Row.of(Tags.of("policy", k.get(0), "type", k.get(1),
                "severity", k.get(2)), v)));
        findings.register(rows, true);
    }
}

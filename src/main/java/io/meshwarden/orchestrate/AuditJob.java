package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.Refusal;
import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.cluster.RetryConfig;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.PolicyReports;
import io.meshwarden.report.Report;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/** Reads the live cluster and evaluates every policy: on a schedule, and on demand through the API. */
@ApplicationScoped
public class AuditJob {
    private static final Logger LOG = Logger.getLogger(AuditJob.class);

    private final MeshwardenConfig config;
    private final PolicyCatalog catalog;
    private final LatestReport latest;
    private final Instance<KubernetesClient> client;
    private final ApiRetry retry;
    private final ReentrantLock running = new ReentrantLock();
    private final Counter failures;
    private final Counter successes;

    public AuditJob(MeshwardenConfig config, PolicyCatalog catalog, LatestReport latest,
            Instance<KubernetesClient> client, MeterRegistry registry, RetryConfig retry) {
        this.config = config;
        this.retry = ApiRetry.of(retry);
        this.catalog = catalog;
        this.latest = latest;
        this.client = client;
        this.successes = Counter.builder("meshwarden.audit.runs").tag("outcome", "success")
                .description("Audits by outcome").register(registry);
        this.failures = Counter.builder("meshwarden.audit.runs").tag("outcome", "failure")
                .description("Audits by outcome").register(registry);
    }

    public boolean clusterEnabled() {
        return config.cluster().enabled().orElseGet(AuditJob::clusterDetected);
    }

    private static boolean clusterDetected() {
        if (System.getenv("KUBERNETES_SERVICE_HOST") != null || System.getenv("KUBECONFIG") != null) {
            return true;
        }
        return Files.exists(Path.of(System.getProperty("user.home"), ".kube", "config"));
    }

    @Scheduled(every = "${meshwarden.audit.interval:5m}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!config.audit().enabled() || !clusterEnabled()) {
            return;
        }
        try {
            runNow();
        } catch (Refusal e) {
            LOG.debugf("scheduled audit skipped: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf("scheduled audit failed: %s", e.getMessage());
        }
    }

    /** Existing report UIs read wg-policy reports; a failure there must not fail the audit itself. */
    private void writePolicyReports(Report report) {
        if (!config.audit().policyReports()) {
            return;
        }
        try {
            PolicyReports.Result r = new PolicyReports(client.get(), config.audit().policyReportMaxResults())
                    .write(report);
            LOG.debugf("policy reports: %s", r);
            r.notes().forEach(n -> LOG.debugf("policy reports: %s", n));
            if (!r.failed().isEmpty()) {
                LOG.warnf("policy reports not written: %s", r.failed());
            }
        } catch (RuntimeException e) {
            LOG.warnf("policy reports not written: %s", e.getMessage());
        }
    }

    /** Each stored policy's findings go to its status (MeshPolicy resources); failing that never fails the audit. */
    private void recordStatus(Report report) {
        try {
            Map<String, Integer> byPolicy = new HashMap<>();
            report.result().findings().forEach(f -> byPolicy.merge(f.policy(), 1, Integer::sum));
            catalog.recordEvaluation(byPolicy, report.generatedAt());
        } catch (RuntimeException e) {
            LOG.warnf("policy status not written: %s", e.getMessage());
        }
    }

    /** One read of the cluster and what the policies make of it; enforcement plans from the same data. */
    public record LiveEvaluation(List<MeshPolicy> policies, ClusterSnapshot snapshot, EvaluationResult result,
            Report report) {
    }

    /** Runs one audit now; a second caller while one runs is refused rather than queued. */
    public Report runNow() {
        if (!running.tryLock()) {
            throw Refusal.conflict("an audit is already running");
        }
        try {
            return evaluateLive().report();
        } finally {
            running.unlock();
        }
    }

    /** The policies served now (store and GitOps), with their generations. */
    public List<MeshPolicy> policies() {
        return catalog.list().stream().map(PolicyCatalog.Entry::policy).toList();
    }

    /** Reads the cluster, evaluates every policy and publishes the report. */
    public LiveEvaluation evaluateLive() {
        if (!clusterEnabled()) {
            throw Refusal.unavailable("no cluster is configured (meshwarden.cluster.enabled)");
        }
        try {
            LiveSnapshotReader reader = new LiveSnapshotReader(client.get(), config.cluster().pageSize(),
                    config.cluster().istioNamespace(), retry);
            LiveSnapshotReader.Result read = reader.readWithDiagnostics();
            List<MeshPolicy> policies = policies();
            EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, read.snapshot());
            List<String> notes = new ArrayList<>();
            read.skippedApis().forEach(a -> notes.add("skipped (not installed): " + a));
            notes.addAll(read.warnings());
            Report report = new Report(Instant.now(), "cluster", policies.size(), result, notes,
                    Report.chartsOf(read.snapshot()));
            latest.publish(report);
            writePolicyReports(report);
            recordStatus(report);
            successes.increment();
            LOG.infof("audit: %d policies, %d findings, score %.1f%%, %d API requests", policies.size(),
                    result.summary().findings(), result.summary().score(), read.requests());
            return new LiveEvaluation(policies, read.snapshot(), result, report);
        } catch (RuntimeException e) {
            failures.increment();
            throw e;
        }
    }
}

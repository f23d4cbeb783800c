package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.RolloutConfig;
import io.meshwarden.enforce.RolloutResult;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, etcd killed ({@code kill -9}) under a running API server, on a control plane of this class' own.
 *
 * <p>During an audit of the packaged application (through a {@link FaultProxy} adding latency; etcd dies when the
 * audit sends the request halfway through the count an earlier full audit sent, held by the proxy until etcd is
 * dead): the audit must fail cleanly (a problem document naming what failed, no 2xx), and the latest
 * report must still be the one before, not a partial one published as complete; once etcd is back the next audit
 * publishes a complete report with the same findings.
 *
 * <p>During an enforcing run of 20 CronJob changes: etcd killed after the 6th write and started again once the run
 * gave up; the run is {@code incomplete} with {@code API_UNAVAILABLE}, the next run applies exactly the rest, and
 * the audit log shows each change written once.
 */
class EtcdFaultsE2E {
    static final String AGENT = "meshwarden-etcd-e2e";
    static final String SETUP_AGENT = "meshwarden-etcd-e2e-setup";
    static final int CRON_JOBS = 20;
    static final int FAULT_AFTER = 6;
    static final RolloutConfig CONFIG = RolloutConfig.DEFAULTS.withWritesPerSecond(4);

    static FaultControlPlane cp;
    /** Killed and not yet started again: the next test must not find it dead. */
    static boolean etcdDown;

    @BeforeAll
    static void up() {
        PackagedMeshwarden.requireArtifact();
        cp = FaultControlPlane.up("controlplane-faults-etcd");
    }

    @AfterEach
    void etcdBack() {
        if (etcdDown) {
            restartEtcd();
        }
    }

    @AfterAll
    static void down() {
        if (cp != null) {
            cp.down();
        }
    }

    @Test
    void anEnforcingRunIsRecordedIncompleteAndTheNextAppliesExactlyTheRest() throws Exception {
        FaultWorkloads workloads = FaultWorkloads.create(cp, SETUP_AGENT, "e2e-etcd-run", CRON_JOBS, 0,
                w -> AGENT.equals(w.userAgent()));
        try {
            Plan plan = workloads.plan();
            assertEquals(CRON_JOBS, plan.changes().size(), plan::toString);
            long start = System.nanoTime();
            FaultWorkloads.Faulted faulted = workloads.runFaultingAfter(AGENT, plan, CONFIG, FAULT_AFTER,
                    EtcdFaultsE2E::killEtcd);
            double gaveUp = (System.nanoTime() - start) / 1e9;
            restartEtcd();
            RolloutResult second = workloads.assertIncompleteThenResumed(plan, faulted.result(), FAULT_AFTER, AGENT,
                    CONFIG);
            FaultWorkloads.Evidence e = workloads.assertEachChangeAppliedOnce(plan, List.of(faulted.result(), second));
            workloads.figures(String.format("etcd kill -9 after write %d, during a run (restart after the run gave up,"
                    + " %.0f s after it started)", FAULT_AFTER, gaveUp), faulted.fault(), faulted.result(), second, e);
        } finally {
            workloads.delete();
        }
    }

    @Test
    void anAuditFailsCleanlyAndNoPartialReportIsPublished() throws Exception {
        FaultWorkloads workloads = FaultWorkloads.create(cp, SETUP_AGENT, "e2e-etcd-audit", CRON_JOBS, 0,
                w -> false);
        Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "faults-etcd-");
        PackagedMeshwarden.policy(work, "fault-jobs", "InjectionExclusion", workloads.ns,
                "{whenNativeSidecars: enforce}");
        // 100 ms per request and pages of 5: the audit makes enough requests (CronJobs in pages) to lose etcd midway.
        try (FaultProxy proxy = FaultProxy.to(cp.apiServerPort()).latency(Duration.ofMillis(100))) {
            Path kubeconfig = work.resolve("kubeconfig");
            Files.writeString(kubeconfig, cp.kubeconfig(proxy.port()));
            PackagedMeshwarden app = PackagedMeshwarden.start("etcd-audit", work, kubeconfig, workloads.istioNs,
                    // A 3 s request timeout: with fabric8's default 10 s the failing audit's five attempts take about 40 s,
                    // past quarkus.http.idle-timeout (30 s), which closes the connection with the audit still running.
                    // The onboarding resume's first check (15 s after the start, then every 30 s) put off: its requests
                    // would pass through the proxy too, and the proxy's count is to be the audits' alone.
                    List.of("-Dmeshwarden.leader-election.enabled=false", "-Dmeshwarden.cluster.page-size=5",
                            "-Dquarkus.kubernetes-client.request-timeout=PT3S",
                            "-Dmeshwarden.onboarding.resume-delay=1h"),
                    Map.of());
            try {
                long t0 = System.nanoTime();
                long r0 = proxy.requests.get();
                app.post("/api/v1/audits");
                long auditNanos = System.nanoTime() - t0;
                long fullAudit = proxy.requests.get() - r0;
                JsonNode before = app.get("/api/v1/reports/latest?limit=1");
                int findings = before.path("summary").path("findings").asInt(-1);
                assertTrue(findings >= CRON_JOBS, before::toString);
                assertTrue(fullAudit >= 10, "requests of a full audit through the proxy: " + fullAudit);

                // etcd dies on the audit's own progress: when it sends the request halfway through the count of the
                // full audit's, which the proxy holds until etcd is dead, so the audit cannot have ended by then.
                long killAt = fullAudit / 2;
                CompletableFuture<HttpResponse<String>> audit = new CompletableFuture<>();
                CompletableFuture<Kill> kill = proxy.atRequest(proxy.requests.get() + killAt, () -> {
                    killEtcd();
                    return new Kill(System.nanoTime(), !audit.isDone());
                });
                long a0 = proxy.requests.get();
                audit.completeAsync(() -> app.postRaw("/api/v1/audits"));
                HttpResponse<String> failed = audit.get(180, TimeUnit.SECONDS);
                double failedAfter = kill.isDone() ? (System.nanoTime() - kill.get().nanos()) / 1e9 : -1;
                assertTrue(kill.isDone(), () -> "etcd was never killed: the audit made " + (proxy.requests.get() - a0)
                        + " requests through the proxy, the full one before " + fullAudit);
                assertTrue(kill.get().auditInFlight(), "the audit ended before etcd was killed at its request "
                        + killAt + " of " + fullAudit);
                JsonNode after = app.get("/api/v1/reports/latest?limit=1");
                // Both promises are checked together: a build that publishes a partial report may answer either way.
                assertAll("an audit without etcd",
                        () -> assertEquals(before.path("generatedAt").asText(), after.path("generatedAt").asText(),
                                () -> "the latest report is still the one before the failed audit, not a partial"
                                        + " one: " + after.path("summary") + " " + after.path("notes")),
                        () -> assertEquals(503, failed.statusCode(), () -> "an audit without etcd: " + failed.body()));
                assertTrue(failed.headers().firstValue("Content-Type").orElse("").startsWith(
                        "application/problem+json"), failed.headers()::toString);
                JsonNode problem = PackagedMeshwarden.JSON.readTree(failed.body());
                assertTrue(problem.path("type").asText().endsWith("/cluster-unavailable")
                        && problem.path("detail").asText().startsWith("cannot "), problem::toString);

                restartEtcd();
                app.post("/api/v1/audits");
                JsonNode next = app.get("/api/v1/reports/latest?limit=1");
                assertTrue(Instant.parse(next.path("generatedAt").asText()).isAfter(Instant.parse(
                        before.path("generatedAt").asText())), next::toString);
                assertEquals(findings, next.path("summary").path("findings").asInt(), "a complete report again");
                assertEquals(before.path("notes"), next.path("notes"), "no note of anything skipped");
                FaultWorkloads.figure(String.format("etcd kill -9 during an audit (%d ms audit of %d requests through"
                        + " the proxy; killed at its request %d) | answer %d %s %.1f s after the kill: %s | latest"
                        + " report unchanged | next audit: %d findings, as before%n", auditNanos / 1_000_000,
                        fullAudit, killAt, failed.statusCode(), problem.path("type").asText(), failedAfter,
                        problem.path("detail").asText(), findings));
            } finally {
                app.kill();
            }
        } catch (IOException e) {
            fail(e);
        } finally {
            workloads.delete();
        }
    }

    /** When etcd was killed, and whether the audit was still waiting for its answer then. */
    record Kill(long nanos, boolean auditInFlight) {}

    static void killEtcd() {
        etcdDown = true;
        cp.kill("etcd");
    }

    /** Starts etcd again and waits until the API server answers reads from it. */
    static void restartEtcd() {
        cp.start("etcd");
        etcdDown = false;
        try (KubernetesClient client = cp.client(SETUP_AGENT)) {
            // Every kind the tests read: the API server's storage for each group reconnects to etcd on its own, so
            // namespaces readable again does not mean CronJobs are (a CronJob read once timed out right after).
            ControlPlane.await("the API server reading from etcd again", () -> {
                try {
                    return client.namespaces().withName("default").get() != null
                            && client.batch().v1().cronjobs().inAnyNamespace().list(new ListOptionsBuilder().withLimit(1L).build()) != null
                            && client.apps().deployments().inAnyNamespace().list(new ListOptionsBuilder().withLimit(1L).build()) != null;
                } catch (RuntimeException notYet) {
                    return false;
                }
            });
        }
    }
}

package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshwarden.enforce.Applier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, Meshwarden killed mid-run: the packaged application (target/quarkus-app, built by the normal verify)
 * enforces 30 CronJob labels paced at 4 writes per second against a control plane of this class' own; once the API
 * server's audit log shows the 10th of its writes it is killed with {@code kill -9}, started again, and a new run is
 * asked for. The next run converges, and over both processes each object was written once, with at most one Event.
 * Runs live in memory, so the killed run's revert record is gone: the next run must say so in its notes, naming the
 * workloads it applied.
 */
class MeshwardenKilledFaultsE2E extends CronJobFaultsBase {
    static final int CRON_JOBS = 30;
    static final int KILL_AFTER = 10;
    static final String SETUP_AGENT = "meshwarden-faults-e2e-setup";

    PackagedMeshwarden app;

    MeshwardenKilledFaultsE2E() {
        super("controlplane-faults-app", SETUP_AGENT, "appkill", CRON_JOBS);
    }

    @AfterEach
    void killApp() {
        if (app != null) {
            app.kill();
            app = null;
        }
    }

    @Test
    void theNextRunConvergesAndNothingIsWrittenTwice() throws Exception {
        startApp("first");
        JsonNode first = app.post("/api/v1/runs");
        assertEquals("running", first.path("outcome").asText(), first::toString);
        int seen = awaitWrites(KILL_AFTER);
        app.kill();
        int landed = appWrites().size();

        startApp("second");
        JsonNode started = app.post("/api/v1/runs");
        JsonNode second = app.awaitRun(started.path("id").asText(), Duration.ofSeconds(120));
        assertEquals("applied", second.path("outcome").asText(), second::toString);
        Set<String> appliedBySecond = PackagedMeshwarden.applied(second);

        Set<String> all = new TreeSet<>();
        for (int i = 0; i < CRON_JOBS; i++) {
            all.add(String.format("job-%02d", i));
        }
        for (String name : all) {
            GenericKubernetesResource cron = client.genericKubernetesResources("batch/v1", "CronJob").inNamespace(ns)
                    .withName(name).get();
            assertEquals("false", cron.get("spec", "jobTemplate", "spec", "template", "metadata", "labels",
                    "sidecar.istio.io/inject"), name + " converged");
        }
        Map<String, Long> perObject = new TreeMap<>(appWrites().stream().collect(Collectors.groupingBy(
                FaultControlPlane.Write::name, Collectors.counting())));
        Map<String, Long> once = new TreeMap<>();
        all.forEach(n -> once.put(n, 1L));
        assertEquals(once, perObject, "answered writes of the packaged app per CronJob, from the audit log");
        assertEquals(CRON_JOBS - landed, appliedBySecond.size(), "the next run applied exactly the rest");

        Map<String, Long> events = FaultWorkloads.appliedEvents(client, ns);
        assertTrue(events.values().stream().allMatch(n -> n == 1), () -> "at most one Event each: " + events);
        long missingEvents = CRON_JOBS - events.size();
        String line = String.format("Meshwarden (packaged app) kill -9 after write %d | writes landed before the"
                + " kill %d | next run: applied %d, outcome %s | changes checked %d | duplicates %d | Events missing"
                + " %d%n", seen, landed, appliedBySecond.size(), second.path("outcome").asText(), CRON_JOBS,
                perObject.values().stream().mapToLong(n -> n - 1).sum(), missingEvents);
        FaultWorkloads.figure(line);

        // The revert record: what the killed run applied must be in a later run's record, or the loss stated.
        List<String> notes = new ArrayList<>();
        second.path("notes").forEach(n -> notes.add(n.asText()));
        Set<String> recorded = new TreeSet<>(appliedBySecond);
        Set<String> lost = new TreeSet<>(all);
        lost.removeAll(recorded);
        assertTrue(lost.isEmpty() || notes.stream().anyMatch(n -> n.startsWith(lost.size() + " workload(s) carry "
                + Applier.APPLIED_BY) && n.contains("no revert record") && lost.stream().limit(10)
                        .allMatch(name -> n.contains("CronJob " + ns + "/" + name))),
                () -> lost.size() + " CronJob(s) the killed run applied are in no run's revert record and the next"
                        + " run's notes do not say so: " + lost + "; notes: " + notes);
    }

    // ------------------------------------------------------------------------------------------------ the app

    void startApp(String label) {
        app = PackagedMeshwarden.start(label, work, cp.state().resolve("kubeconfig"), ns + "-istio",
                List.of("-Dmeshwarden.leader-election.enabled=false", "-Dmeshwarden.rollout.writes-per-second=4"),
                Map.of());
    }

    int awaitWrites(int k) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        int seen;
        while ((seen = appWrites().size()) < k) {
            if (System.nanoTime() > deadline) {
                fail("no write " + k + " of the app within 90 s; seen " + seen + "; see " + app.log());
            }
            Thread.sleep(10);
        }
        return seen;
    }

    /** The app's answered writes to the CronJobs: every client in the namespace but the test's own. */
    List<FaultControlPlane.Write> appWrites() {
        return cp.writes().stream().filter(w -> ns.equals(w.namespace()) && !SETUP_AGENT.equals(w.userAgent())
                && w.succeeded() && "cronjobs".equals(w.resource()) && w.subresource() == null).toList();
    }
}

package io.meshwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.testing.FaultInjectingDispatcher;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Revert judges the fields a run wrote, not the object's version, which controllers move all the time. */
class ReverterTest {
    private static final String PATH = "/apis/batch/v1/namespaces/apps/cronjobs/nightly";

    private FaultInjectingDispatcher faults;
    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        faults = new FaultInjectingDispatcher(new KubernetesCrudDispatcher());
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
        server.init();
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
        client.resource(MockCluster.cronJob("apps", "nightly")).create();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    private ApplyResult applyLabel() {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("spec").putObject("jobTemplate").putObject("spec").putObject("template")
                .putObject("metadata").putObject("labels").put("sidecar.istio.io/inject", "false");
        Change change = new Change("CronJob/apps/nightly#1", new ResourceRef("batch/v1", "CronJob", "apps", "nightly"),
                Change.PATCH, body, false, List.of("jobs"), List.of("injection-job-sidecar"), "test");
        ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(new Plan(List.of(change), List.of()),
                false);
        assertEquals("false", label());
        return applied;
    }

    private String label() {
        CronJob c = client.batch().v1().cronjobs().inNamespace("apps").withName("nightly").get();
        return c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels()
                .get("sidecar.istio.io/inject");
    }

    private void edit(java.util.function.Consumer<CronJob> change) {
        client.batch().v1().cronjobs().inNamespace("apps").withName("nightly").edit(c -> {
            change.accept(c);
            return c;
        });
    }

    @Test
    void anotherWriterBetweenTheCheckAndThePatchIsReadAgainNotFatal() {
        ApplyResult applied = applyLabel();
        edit(c -> c.getSpec().setSchedule("0 5 * * *"));
        faults.clearRecords();
        // A controller's write lands between the check and the revert patch: the server answers 409 once.
        faults.on("PATCH", PATH, FaultInjectingDispatcher.Fault.status(409));

        List<Reverter.Step> steps = new Reverter(client, Clock.systemUTC()).revert(applied);

        assertEquals("reverted", steps.get(0).result(), steps.toString());
        assertEquals(2, faults.received("PATCH", PATH), "the refused patch, then the one after re-checking");
        assertNull(label(), "the label the run added is gone");
        assertEquals("0 5 * * *", client.batch().v1().cronjobs().inNamespace("apps").withName("nightly").get()
                .getSpec().getSchedule(), "the other writer's change is kept");
    }

    @Test
    void aChangeToAFieldTheRunWroteBlocksTheRevert() {
        ApplyResult applied = applyLabel();
        edit(c -> c.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels()
                .put("sidecar.istio.io/inject", "true"));

        Reverter.Changed changed = assertThrows(Reverter.Changed.class,
                () -> new Reverter(client, Clock.systemUTC()).revert(applied));

        assertEquals(List.of("CronJob apps/nightly"), changed.objects());
        assertEquals("true", label(), "nothing reverted");
    }
}

package io.meshwarden.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * The lifecycle of the fault classes that run the packaged application on CronJobs: a control plane of the class' own
 * (the packaged app required before it starts), and per test a namespace of CronJobs with a work directory whose
 * store holds the policy that changes them ({@link PackagedMeshwarden#cronJobNamespace}), deleted after the test.
 *
 * <p>One instance per class, so that the control plane's name can come from the subclass; JUnit runs this class'
 * {@code @BeforeEach} before the subclass' and its {@code @AfterEach} after, so a subclass sees the namespace and
 * stops what it started in it (apps, proxies) before the namespace is deleted. Per-test state of a subclass is
 * therefore reset by the subclass itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CronJobFaultsBase {
    private final String controlPlane;
    private final String setupAgent;
    private final String prefix;
    private final int cronJobs;

    FaultControlPlane cp;
    /** The test's own client, named {@code setupAgent} in the audit log; per test. */
    KubernetesClient client;
    String ns;
    Path work;

    /** @param controlPlane its state directory under target/; {@code prefix} names the namespaces */
    CronJobFaultsBase(String controlPlane, String setupAgent, String prefix, int cronJobs) {
        this.controlPlane = controlPlane;
        this.setupAgent = setupAgent;
        this.prefix = prefix;
        this.cronJobs = cronJobs;
    }

    @BeforeAll
    void controlPlaneUp() {
        PackagedMeshwarden.requireArtifact();
        cp = FaultControlPlane.up(controlPlane);
    }

    @AfterAll
    void controlPlaneDown() {
        if (cp != null) {
            cp.down();
        }
    }

    @BeforeEach
    void cronJobNamespace() throws IOException {
        client = cp.client(setupAgent);
        PackagedMeshwarden.JobsSetup setup = PackagedMeshwarden.cronJobNamespace(client, prefix, cronJobs);
        ns = setup.ns();
        work = setup.work();
    }

    @AfterEach
    void deleteCronJobNamespace() {
        if (client != null) {
            if (ns != null) {
                ControlPlane.deleteNamespaces(client, ns);
            }
            client.close();
        }
        client = null;
        ns = null;
        work = null;
    }
}

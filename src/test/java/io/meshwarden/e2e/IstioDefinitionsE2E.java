package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The committed IstioApi.java (IstioHygiene's annotation keys, labels and ProxyConfig fields) is what
 * src/test/istio/definitions.sh generates from the istio.io/api modules at the pinned versions. Cheap once the small
 * generator is built (cached, a few seconds cold with the module cache filled); needs Go, so it runs in this stage.
 */
class IstioDefinitionsE2E {
    @Test
    void theCommittedDefinitionsAreIstiosAtThePinnedVersions() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "src/test/istio/definitions.sh", "check").inheritIO().start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("definitions.sh check did not finish in 20 minutes");
        }
        assertEquals(0, p.exitValue(), "definitions.sh check failed (its output says what differs); run "
                + "bash src/test/istio/definitions.sh generate");
    }
}

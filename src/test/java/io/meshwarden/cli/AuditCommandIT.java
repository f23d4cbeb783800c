package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policy.Documents;
import io.meshwarden.testing.PackagedArtifact;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The audit command of the packaged artifact (JVM jar, or the native executable: see PackagedArtifact). */
class AuditCommandIT {

    @Test
    void packagedJarAuditsTheExampleMesh() throws Exception {
        PackagedArtifact app = PackagedArtifact.current();
        Process p = new ProcessBuilder(app.command(List.of(), List.of("audit", "--snapshot", "examples/snapshot",
                "--policies", "examples/policies", "--output", "json")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), "findings exit with 3");
        JsonNode doc = Documents.parseOne(out, false);
        assertTrue(doc.get("findings").size() > 0);

        Process usage = new ProcessBuilder(app.command(List.of(), List.of("audit", "--output", "json")))
                .redirectErrorStream(true).start();
        String text = new String(usage.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, usage.exitValue(), text);
        assertTrue(text.contains("meshwarden audit: Missing required options: '--snapshot=DIR', '--policies=DIR'"),
                text);
        assertTrue(text.contains("Try 'meshwarden audit --help'"), text);
    }
}

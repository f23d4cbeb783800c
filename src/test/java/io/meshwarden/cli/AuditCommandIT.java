package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policy.Documents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The audit command of the packaged artifact, exactly as the README runs it. */
class AuditCommandIT {

    @Test
    void packagedJarAuditsTheExampleMesh() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-jar", "target/quarkus-app/quarkus-run.jar", "audit", "--snapshot",
                "examples/snapshot", "--policies", "examples/policies", "--output", "json")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), "findings exit with 3");
        JsonNode doc = Documents.parseOne(out, false);
        assertTrue(doc.get("findings").size() > 0);

        Process usage = new ProcessBuilder(java, "-jar", "target/quarkus-app/quarkus-run.jar", "audit",
                "--output", "json").redirectErrorStream(true).start();
        String text = new String(usage.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, usage.exitValue(), text);
        assertTrue(text.contains("usage: meshwarden audit"), text);
    }
}

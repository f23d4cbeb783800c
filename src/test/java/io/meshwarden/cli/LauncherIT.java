package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policy.Documents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/meshwarden, the JVM launcher users run the CLI with (C1, Serial GC, an AppCDS archive written by the first
 * audit): the commands run on the plain class path without Quarkus' runner, the first audit writes the archive, the
 * second uses it, and both print the same report as {@code java -jar} with nothing of the JVM's on standard output.
 */
class LauncherIT {
    static final Path LAUNCHER = Path.of("bin/meshwarden").toAbsolutePath();

    @TempDir
    Path cache;

    record Run(int exit, String out, String err) {
    }

    Run run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        pb.environment().put("MESHWARDEN_APP", Path.of("target/quarkus-app").toAbsolutePath().toString());
        Path err = Files.createTempFile(cache, "err", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exits");
        return new Run(p.exitValue(), out, Files.readString(err));
    }

    static List<String> audit(String... head) {
        List<String> c = new ArrayList<>(List.of(head));
        c.addAll(List.of("audit", "--snapshot", "examples/snapshot", "--policies", "examples/policies", "--output",
                "json"));
        return c;
    }

    @Test
    void auditsLikeTheJarAndKeepsAnArchive() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run jar = run(audit(java, "-jar", "target/quarkus-app/quarkus-run.jar"));
        assertEquals(AuditCommand.FINDINGS, jar.exit(), jar.err());

        Run first = run(audit("bash", LAUNCHER.toString()));
        assertEquals(AuditCommand.FINDINGS, first.exit(), first.err());
        assertEquals(List.of(Path.of("meshwarden", "cds")), archives().stream().map(a -> cache.relativize(a.getParent()))
                .toList(), "the first audit writes one archive");
        Run second = run(audit("bash", LAUNCHER.toString()));
        assertEquals(AuditCommand.FINDINGS, second.exit(), second.err());
        assertEquals(1, archives().size(), "the second uses it and writes no other");

        for (Run r : List.of(first, second)) {
            assertEquals(findings(jar.out()), findings(r.out()), "the same findings as java -jar");
        }
        Run typo = run(List.of("bash", LAUNCHER.toString(), "audti"));
        assertEquals(Main.USAGE, typo.exit());
        assertTrue(typo.err().contains("Did you mean: meshwarden audit"), typo.err());
    }

    List<Path> archives() throws Exception {
        Path dir = cache.resolve("meshwarden/cds");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
        }
    }

    /** The findings, parsed: stdout must be the JSON document alone, no JVM warning in it. */
    static JsonNode findings(String out) {
        return Documents.parseOne(out.getBytes(StandardCharsets.UTF_8), false).get("findings");
    }
}

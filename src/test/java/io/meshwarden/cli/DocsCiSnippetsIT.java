package io.meshwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/ci.md's GitHub Actions, GitLab CI and pre-commit snippets, their command lines run as written (through a shell
 * where the CI runs one, split on blanks where pre-commit does) against the packaged application, in a folder laid
 * out as the snippets expect: the application at meshwarden/quarkus-app, the example mesh at manifests and its
 * policies at policies. The files they write must validate against the SARIF and JUnit schemas.
 */
class DocsCiSnippetsIT {
    private static final Pattern FENCE = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern RUN = Pattern.compile("^\\s*(?:run:|-)\\s+(java -jar .*)$", Pattern.MULTILINE);
    private static final Pattern ENTRY = Pattern.compile("^\\s*entry:\\s+(.*)$", Pattern.MULTILINE);

    @TempDir
    Path repo;

    record Snippet(String section, String yaml) {
    }

    static List<Snippet> snippets() throws IOException {
        String doc = Files.readString(Path.of("docs/ci.md"));
        List<Snippet> out = new ArrayList<>();
        Matcher m = FENCE.matcher(doc);
        while (m.find()) {
            String before = doc.substring(0, m.start());
            String section = before.substring(before.lastIndexOf("\n## ") + 4, before.indexOf('\n',
                    before.lastIndexOf("\n## ") + 4));
            out.add(new Snippet(section, m.group(1)));
        }
        return out;
    }

    void layOut() throws IOException {
        Path app = Files.createDirectories(repo.resolve("meshwarden"));
        Files.createSymbolicLink(app.resolve("quarkus-app"), Path.of("target/quarkus-app").toAbsolutePath());
        copy(Path.of("examples/snapshot"), repo.resolve("manifests"));
        copy(Path.of("examples/policies"), repo.resolve("policies"));
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
    }

    int run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).directory(repo.toFile())
                .redirectError(repo.resolve("stderr.txt").toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "exits: " + command);
        return p.exitValue();
    }

    List<String> commandLines(Snippet s, Pattern pattern) {
        List<String> out = new ArrayList<>();
        Matcher m = pattern.matcher(s.yaml());
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out;
    }

    Snippet section(String name) throws IOException {
        return snippets().stream().filter(s -> s.section().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("docs/ci.md has no yaml under ## " + name));
    }

    @Test
    void gitHubActionsWritesValidSarifAndFailsTheStepOnFindings() throws Exception {
        layOut();
        List<String> lines = commandLines(section("GitHub Actions"), RUN);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("--output sarif > meshwarden.sarif"), lines.get(0));
        // GitHub runs `run:` with bash -e; exit 3 fails the step, and the upload step runs on failure().
        assertEquals(AuditCommand.FINDINGS, run(List.of("bash", "-e", "-c", lines.get(0))), stderr());
        String sarif = Files.readString(repo.resolve("meshwarden.sarif"));
        assertEquals(Set.of(), AuditFormatsTest.sarifErrors(sarif));
        String uri = new ObjectMapper().readTree(sarif)
                .at("/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri").asText();
        assertTrue(uri.startsWith("manifests/") && Files.exists(repo.resolve(uri)), "a repository path: " + uri);
        assertTrue(section("GitHub Actions").yaml().contains("sarif_file: meshwarden.sarif"));
    }

    @Test
    void gitLabWritesValidJunitAndSarif() throws Exception {
        layOut();
        Snippet s = section("GitLab CI");
        List<String> lines = commandLines(s, RUN);
        assertEquals(2, lines.size(), lines.toString());
        // GitLab runs each script line in the job's shell (sh in eclipse-temurin images); the job fails on non-zero.
        assertEquals(0, run(List.of("sh", "-c", lines.get(0))), "the report line never fails the job: " + stderr());
        assertEquals(AuditCommand.FINDINGS, run(List.of("sh", "-c", lines.get(1))), stderr());
        AuditFormatsTest.junitValid(Files.readString(repo.resolve("meshwarden-junit.xml")));
        assertEquals(Set.of(), AuditFormatsTest.sarifErrors(Files.readString(repo.resolve("meshwarden.sarif"))));
        assertTrue(s.yaml().contains("junit: meshwarden-junit.xml") && s.yaml().contains("sarif: meshwarden.sarif"));
    }

    @Test
    void preCommitHookStopsACommitWithFindings() throws Exception {
        layOut();
        List<String> entries = commandLines(section("pre-commit"), ENTRY);
        assertEquals(1, entries.size(), entries.toString());
        // pre-commit splits entry like a shell would, without running one; pass_filenames: false adds nothing.
        assertEquals(AuditCommand.FINDINGS, run(List.of(entries.get(0).split("\\s+"))), stderr());
        try (Stream<Path> files = Files.list(repo)) {
            assertEquals(Set.of("meshwarden", "manifests", "policies", "stderr.txt"),
                    Set.copyOf(files.map(f -> f.getFileName().toString()).toList()), "the hook writes nothing");
        }
    }

    private String stderr() throws IOException {
        Path f = repo.resolve("stderr.txt");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }
}

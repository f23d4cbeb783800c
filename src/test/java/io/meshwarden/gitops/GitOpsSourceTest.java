package io.meshwarden.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policies.tracesampling.TraceSamplingParameters;
import io.meshwarden.policy.Parameters;
import io.meshwarden.store.ResourceVersionClock;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitOpsSourceTest {
    @TempDir
    Path root;

    static String policy(String name, String maxPercent) {
        return """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: %s}
                spec: {type: TraceSampling, parameters: {maxPercent: %s}}
                """.formatted(name, maxPercent);
    }

    private GitOpsSource source() {
        return new GitOpsSource(root, new ResourceVersionClock());
    }

    private static BigDecimal max(GitOpsSource s, String name) {
        return ((TraceSamplingParameters) s.policies().get(name).policy().spec().parameters()).maxPercent();
    }

    @Test
    void loadsMultiDocumentFilesInNestedFoldersAndSkipsHiddenOnes() throws Exception {
        Files.createDirectories(root.resolve("team-a"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve("team-a/tracing.yaml"), policy("t1", "1") + "---\n" + policy("t2", "2"));
        Files.writeString(root.resolve("b.json"), "{\"apiVersion\":\"meshwarden.io/v1alpha1\",\"kind\":\"MeshPolicy\","
                + "\"metadata\":{\"name\":\"j1\"},\"spec\":{\"type\":\"TraceSampling\"}}");
        Files.writeString(root.resolve(".git/ignored.yaml"), policy("hidden", "1"));
        Files.writeString(root.resolve("notes.txt"), "ignored");
        GitOpsSource s = source();
        assertTrue(s.scan());
        assertEquals(List.of("j1", "t1", "t2"), s.policies().keySet().stream().sorted().toList());
        assertEquals("team-a/tracing.yaml", s.policies().get("t2").file());
        assertEquals(2, s.policies().get("t2").document());
        assertFalse(s.scan(), "an unchanged tree is not a change");
    }

    @Test
    void brokenFileKeepsLastKnownGoodAndReportsWhere() throws Exception {
        Path f = root.resolve("p.yaml");
        Files.writeString(f, policy("a", "1") + "---\n" + policy("b", "1"));
        GitOpsSource s = source();
        s.scan();
        String rvA = s.policies().get("a").policy().metadata().resourceVersion();

        // Syntax error: position reported, both policies stay.
        Files.writeString(f, policy("a", "5") + "---\nmetadata: {name: [unclosed\n");
        s.scan();
        assertEquals(List.of("a", "b"), s.policies().keySet().stream().sorted().toList());
        assertEquals(0, BigDecimal.ONE.compareTo(max(s, "a")), "last-known-good content stays active");
        GitOpsSource.FileStatus st = s.files().get(0);
        assertNotNull(st.error());
        assertTrue(st.error().line() >= 6, "line of the syntax error: " + st.error());
        assertEquals(1, s.errorCount());

        // Validation error: the field path is reported.
        Files.writeString(f, policy("a", "500") + "---\n" + policy("b", "1"));
        s.scan();
        GitOpsSource.FileError err = s.files().get(0).error();
        assertEquals("/spec/parameters/maxPercent", err.violations().get(0).field());
        assertEquals(1, err.document());
        assertEquals(rvA, s.policies().get("a").policy().metadata().resourceVersion());

        // Fixed: new content, new version, error cleared.
        Files.writeString(f, policy("a", "3") + "---\n" + policy("b", "1"));
        assertTrue(s.scan());
        assertNull(s.files().get(0).error());
        assertEquals(0, BigDecimal.valueOf(3).compareTo(max(s, "a")));
        assertTrue(Long.parseLong(s.policies().get("a").policy().metadata().resourceVersion()) > Long.parseLong(rvA));
        assertEquals(2, s.policies().get("a").policy().metadata().generation());
        assertEquals(1, s.policies().get("b").policy().metadata().generation(), "b did not change");
        assertEquals(0, s.errorCount());
    }

    @Test
    void newBrokenFileDefinesNothingAndDeletingAFileRemovesItsPolicies() throws Exception {
        Files.writeString(root.resolve("bad.yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n");
        Files.writeString(root.resolve("good.yaml"), policy("g", "1"));
        GitOpsSource s = source();
        s.scan();
        assertEquals(List.of("g"), List.copyOf(s.policies().keySet()));
        assertEquals(1, s.errorCount());
        Files.delete(root.resolve("good.yaml"));
        Files.delete(root.resolve("bad.yaml"));
        assertTrue(s.scan());
        assertTrue(s.policies().isEmpty());
        assertEquals(0, s.errorCount());
    }

    @Test
    void sameNameInTwoFilesIsAConflictTheFirstFileWins() throws Exception {
        Files.writeString(root.resolve("a.yaml"), policy("dup", "1"));
        Files.writeString(root.resolve("b.yaml"), policy("dup", "2"));
        Files.writeString(root.resolve("c.yaml"), policy("x", "1") + "---\n" + policy("x", "2"));
        GitOpsSource s = source();
        s.scan();
        assertEquals("a.yaml", s.policies().get("dup").file());
        assertEquals(List.of(new GitOpsSource.Conflict("dup", "a.yaml", List.of("b.yaml"))), s.conflicts());
        assertFalse(s.policies().containsKey("x"), "a file defining a name twice is an error");
        assertTrue(s.files().get(2).error().message().contains("defined twice"));
    }

    @Test
    void configMapSymlinkSwapIsFollowed() throws Exception {
        // The kubelet layout: key -> ..data/key, ..data -> ..<timestamp>; an update swaps ..data atomically.
        Path v1 = Files.createDirectories(root.resolve("..2026_11_24_v1"));
        Files.writeString(v1.resolve("policies.yaml"), policy("cm", "1"));
        Files.createSymbolicLink(root.resolve("..data"), root.relativize(v1));
        Files.createSymbolicLink(root.resolve("policies.yaml"), Path.of("..data/policies.yaml"));
        GitOpsSource s = source();
        s.scan();
        assertEquals(List.of("cm"), List.copyOf(s.policies().keySet()));
        Path v2 = Files.createDirectories(root.resolve("..2026_11_24_v2"));
        Files.writeString(v2.resolve("policies.yaml"), policy("cm", "7"));
        Path tmpLink = root.resolve("..data_tmp");
        Files.createSymbolicLink(tmpLink, root.relativize(v2));
        Files.move(tmpLink, root.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(s.scan());
        assertEquals(0, BigDecimal.valueOf(7).compareTo(max(s, "cm")));
        assertEquals(1, s.files().size(), "the hidden ..data copies are not read as separate files");
    }

    @Test
    void missingDirectoryIsAnErrorNotADeletion() throws Exception {
        Path sub = Files.createDirectories(root.resolve("repo"));
        Files.writeString(sub.resolve("a.yaml"), policy("a", "1"));
        GitOpsSource s = new GitOpsSource(sub, new ResourceVersionClock());
        s.scan();
        Files.delete(sub.resolve("a.yaml"));
        Files.delete(sub);
        assertFalse(s.scan());
        assertEquals(List.of("a"), List.copyOf(s.policies().keySet()));
        assertNotNull(s.scanError());
    }
}

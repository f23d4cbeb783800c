package io.meshwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policy.MeshPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePolicyStoreTest {
    @TempDir
    Path dir;

    private FilePolicyStore open() throws Exception {
        FilePolicyStore s = new FilePolicyStore(dir, new ResourceVersionClock(), null);
        s.load();
        return s;
    }

    @Test
    void createReadUpdateDeleteSurviveRestart() throws Exception {
        FilePolicyStore s = open();
        MeshPolicy created = s.create(TestPolicies.tracing("a", "1"));
        assertEquals(1, created.metadata().generation());
        assertTrue(Files.exists(dir.resolve("a.yaml")));
        MeshPolicy updated = s.update(TestPolicies.tracing("a", "2"), created.metadata().resourceVersion(), false);
        assertEquals(2, updated.metadata().generation());
        assertTrue(Long.parseLong(updated.metadata().resourceVersion())
                > Long.parseLong(created.metadata().resourceVersion()));
        assertEquals(created.metadata().creationTimestamp(), updated.metadata().creationTimestamp());
        s.create(TestPolicies.tracing("b", "1"));

        FilePolicyStore reopened = open();
        assertEquals(List.of("a", "b"), reopened.list().stream().map(MeshPolicy::name).toList());
        assertEquals(updated, reopened.get("a").orElseThrow());
        reopened.delete("a", null, false);
        assertFalse(Files.exists(dir.resolve("a.yaml")));
        assertTrue(open().get("a").isEmpty());
    }

    @Test
    void preconditionsAndExistence() throws Exception {
        FilePolicyStore s = open();
        MeshPolicy a = s.create(TestPolicies.tracing("a", "1"));
        assertThrows(StoreException.AlreadyExists.class, () -> s.create(TestPolicies.tracing("a", "3")));
        MeshPolicy a2 = s.update(TestPolicies.tracing("a", "2"), a.metadata().resourceVersion(), false);
        StoreException.Conflict c = assertThrows(StoreException.Conflict.class,
                () -> s.update(TestPolicies.tracing("a", "5"), a.metadata().resourceVersion(), true));
        assertTrue(c.viaIfMatch());
        assertEquals(a2.metadata().resourceVersion(), c.current());
        assertThrows(StoreException.Conflict.class, () -> s.delete("a", a.metadata().resourceVersion(), false));
        assertThrows(StoreException.NotFound.class, () -> s.update(TestPolicies.tracing("zz", "1"), null, false));
        assertThrows(StoreException.NotFound.class, () -> s.delete("zz", null, false));
        assertEquals("2", s.get("a").orElseThrow().spec().parameters() instanceof io.meshwarden.policies.tracesampling
                .TraceSamplingParameters t ? t.maxPercent().toPlainString() : "?");
    }

    @Test
    void unchangedUpdateWritesNothingAndKeepsVersion() throws Exception {
        FilePolicyStore s = open();
        MeshPolicy a = s.create(TestPolicies.tracing("a", "1"));
        long mtime = Files.getLastModifiedTime(dir.resolve("a.yaml")).toMillis();
        MeshPolicy same = s.update(TestPolicies.tracing("a", "1"), null, false);
        assertSame(a, same);
        assertEquals(mtime, Files.getLastModifiedTime(dir.resolve("a.yaml")).toMillis());
    }

    @Test
    void versionsStayMonotonicAcrossRestartsEvenAfterDeletingTheNewest() throws Exception {
        FilePolicyStore s = open();
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            seen.add(Long.parseLong(s.create(TestPolicies.tracing("p" + i, "1")).metadata().resourceVersion()));
        }
        long newest = seen.get(seen.size() - 1);
        s.delete("p19", null, false);
        FilePolicyStore reopened = open();
        long next = Long.parseLong(reopened.create(TestPolicies.tracing("q", "1")).metadata().resourceVersion());
        assertTrue(next > newest, next + " should exceed " + newest);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) > seen.get(i - 1));
        }
    }

    @Test
    void crashLeftoversAndForeignFilesAreHandledOnLoad() throws Exception {
        FilePolicyStore s = open();
        s.create(TestPolicies.tracing("good", "1"));
        Files.writeString(dir.resolve(".good.yaml.1234.tmp"), "apiVersion: meshwarden.io/v1al");
        Files.writeString(dir.resolve("torn.yaml"), "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPol");
        Files.writeString(dir.resolve("renamed.yaml"), Files.readString(dir.resolve("good.yaml")));
        Files.writeString(dir.resolve("README.md"), "not a policy");
        FilePolicyStore reopened = open();
        assertEquals(List.of("good"), reopened.list().stream().map(MeshPolicy::name).toList());
        assertFalse(Files.exists(dir.resolve(".good.yaml.1234.tmp")), "temp file from a crash must be removed");
        List<String> errorFiles = reopened.loadErrors().stream().map(FilePolicyStore.LoadError::file).toList();
        assertEquals(List.of("renamed.yaml", "torn.yaml"), errorFiles);
        assertTrue(reopened.loadErrors().get(0).reason().contains("does not match the file name"));
        assertTrue(Files.exists(dir.resolve("torn.yaml")), "a broken file is left for a person, not deleted");
    }

    @Test
    void failedWriteChangesNothing() throws Exception {
        FilePolicyStore s = open();
        MeshPolicy a = s.create(TestPolicies.tracing("a", "1"));
        dir.toFile().setWritable(false);
        try {
            if (Files.isWritable(dir)) {
                return; // running as root: permissions do not stop writes, nothing to observe here
            }
            assertThrows(StoreException.Unavailable.class, () -> s.update(TestPolicies.tracing("a", "9"), null,
                    false));
            assertEquals(a, s.get("a").orElseThrow());
        } finally {
            dir.toFile().setWritable(true);
        }
        assertNotEquals(null, s.get("a").orElse(null));
    }

    /** Issue 14, item 4: valid names of 209-253 characters answered 503 (the temp file name passed 255 bytes). */
    @Test
    void namesUpTo253CharactersAreStoredReloadedAndDeleted() throws Exception {
        String longest = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertEquals(253, longest.length());
        String edge = "e".repeat(63) + "." + "f".repeat(63) + "." + "g".repeat(63) + "." + "h".repeat(9);
        FilePolicyStore s = open();
        s.create(TestPolicies.tracing(longest, "1"));
        s.create(TestPolicies.tracing(edge, "2"));
        s.update(TestPolicies.tracing(longest, "3"), null, false);
        FilePolicyStore reopened = open();
        assertEquals(List.of(longest, edge), reopened.list().stream().map(MeshPolicy::name).sorted().toList());
        assertEquals(List.of(), reopened.loadErrors());
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                assertTrue(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 255,
                        f.toString());
            }
        }
        reopened.delete(longest, null, false);
        assertEquals(List.of(edge), open().list().stream().map(MeshPolicy::name).toList());
    }

    /** Issue 14, finding 3: a file stored before the number bounds existed cannot slow every later start and audit. */
    @Test
    void aStoredNumberOutOfBoundsIsALoadErrorNotAStoredPolicy() throws Exception {
        FilePolicyStore s = open();
        s.create(TestPolicies.tracing("good", "1"));
        String tiny = Files.readString(dir.resolve("good.yaml")).replace("name: good", "name: tiny")
                .replaceAll("maxPercent: .*", "maxPercent: 1.0e-999999999");
        Files.writeString(dir.resolve("tiny.yaml"), tiny);
        String huge = """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: huge, resourceVersion: "7"}
                spec:
                  type: ProxySizing
                  parameters: {requests: {cpu: 1.0e+30000000, memory: 64Mi}}
                """;
        Files.writeString(dir.resolve("huge.yaml"), huge);
        long started = System.nanoTime();
        FilePolicyStore reopened = open();
        assertTrue(System.nanoTime() - started < 2_000_000_000L, "loading must not expand the numbers");
        assertEquals(List.of("good"), reopened.list().stream().map(MeshPolicy::name).toList());
        assertEquals(List.of("huge.yaml", "tiny.yaml"), reopened.loadErrors().stream()
                .map(FilePolicyStore.LoadError::file).toList());
        assertTrue(reopened.loadErrors().get(0).reason().contains("/spec/parameters/requests/cpu"),
                reopened.loadErrors().get(0).reason());
        assertTrue(reopened.loadErrors().get(1).reason().contains("/spec/parameters/maxPercent"),
                reopened.loadErrors().get(1).reason());
    }
}

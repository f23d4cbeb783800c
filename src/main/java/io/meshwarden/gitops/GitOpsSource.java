package io.meshwarden.gitops;

import io.meshwarden.files.FileTree;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.DocumentSyntaxException;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicyValidationException;
import io.meshwarden.policy.Violation;
import io.meshwarden.store.ResourceVersionClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Read-only policies from a directory tree that git keeps (git-sync checkout or a mounted ConfigMap). Each
 * {@link #scan()} re-reads changed files. A file that fails to parse or validate keeps the policies it last defined
 * successfully (last-known-good) and reports why; a deleted file drops its policies.
 */
public final class GitOpsSource {
    /** A policy defined in a GitOps file; {@code file} is relative to the root, with '/' separators. */
    public record Entry(MeshPolicy policy, String file, int document) {
    }

    /** Where and why a file failed to load. line is 0 when the fault is a field rather than a position. */
    public record FileError(String message, int line, int column, int document, List<Violation> violations) {
    }

    public record FileStatus(String file, List<String> policies, FileError error, Instant lastGoodAt) {
    }

    /** The same name defined in more than one file: the lexically first file wins. */
    public record Conflict(String name, String winnerFile, List<String> shadowedFiles) {
    }

    private record FileState(byte[] hash, List<Entry> good, FileError error, Instant lastGoodAt) {
    }

    private final Path root;
    private final ResourceVersionClock clock;
    private final Map<String, FileState> files = new TreeMap<>();
    private volatile Map<String, Entry> effective = Map.of();
    private volatile List<Conflict> conflicts = List.of();
    private volatile Instant lastScan;
    private volatile String scanError;

    public GitOpsSource(Path root, ResourceVersionClock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.clock = clock;
    }

    public Path root() {
        return root;
    }

    /** Re-reads the tree. Returns true when the effective policy set changed. Never throws for bad content. */
    public synchronized boolean scan() {
        Map<String, Entry> before = effective;
        Set<String> seen = new HashSet<>();
        try {
            if (!Files.isDirectory(root)) {
                // A missing checkout is a fault of the source, not a deletion of every policy: keep what we had.
                scanError = "directory " + root + " does not exist or is not a directory";
                lastScan = Instant.now();
                return false;
            }
            for (Path file : policyFiles()) {
                String rel = root.relativize(file).toString().replace('\\', '/');
                seen.add(rel);
                byte[] content;
                try {
                    content = Files.readAllBytes(file);
                } catch (IOException e) {
                    // Mid-swap of a ConfigMap symlink; the next scan will see the new file.
                    continue;
                }
                byte[] hash = sha256(content);
                FileState old = files.get(rel);
                if (old != null && Arrays.equals(old.hash(), hash)) {
                    continue;
                }
                files.put(rel, parse(rel, content, hash, old));
            }
            files.keySet().retainAll(seen);
            scanError = null;
        } catch (IOException | UncheckedIOException e) {
            scanError = "cannot read " + root + ": " + e.getMessage();
        }
        rebuild();
        lastScan = Instant.now();
        return !before.equals(effective);
    }

    private List<Path> policyFiles() throws IOException {
        // Links followed: a ConfigMap volume exposes its keys as symlinks into a hidden ..data directory.
        return FileTree.walk(root, true, 32).files().stream().filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
        }).toList();
    }

    private FileState parse(String rel, byte[] content, byte[] hash, FileState old) {
        List<Entry> entries = new ArrayList<>();
        try {
            List<Documents.Located> docs = Documents.parseAll(content, !rel.endsWith(".json"));
            Map<String, Integer> namesInFile = new HashMap<>();
            for (Documents.Located doc : docs) {
                MeshPolicy p;
                try {
                    p = PolicyTypes.CODEC.read(doc.node());
                } catch (PolicyValidationException e) {
                    return failed(old, hash, new FileError("document " + (doc.index() + 1) + " (line " + doc.line()
                            + ") is not a valid MeshPolicy", doc.line(), 0, doc.index() + 1, e.violations()));
                }
                Integer dup = namesInFile.put(p.name(), doc.index());
                if (dup != null) {
                    return failed(old, hash, new FileError("policy '" + p.name() + "' is defined twice in this file "
                            + "(documents " + (dup + 1) + " and " + (doc.index() + 1) + ")", doc.line(), 0,
                            doc.index() + 1, List.of()));
                }
                entries.add(new Entry(p, rel, doc.index() + 1));
            }
        } catch (DocumentSyntaxException e) {
            return failed(old, hash, new FileError(e.getMessage(), e.line(), e.column(), 0, List.of()));
        }
        return new FileState(hash, versioned(entries, old), null, Instant.now());
    }

    /** Keeps the resourceVersion of policies whose content did not change, so ETags stay stable across edits. */
    private List<Entry> versioned(List<Entry> entries, FileState old) {
        Map<String, MeshPolicy> previous = new HashMap<>();
        if (old != null) {
            old.good().forEach(e -> previous.put(e.policy().name(), e.policy()));
        }
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            MeshPolicy prev = previous.get(e.policy().name());
            MeshPolicy p = e.policy();
            if (prev != null && Objects.equals(prev.spec(), p.spec())
                    && prev.metadata().labels().equals(p.metadata().labels())
                    && prev.metadata().annotations().equals(p.metadata().annotations())) {
                p = prev;
            } else {
                long generation = prev == null ? 1
                        : (Objects.equals(prev.spec(), p.spec()) ? prev.metadata().generation()
                                : prev.metadata().generation() + 1);
                String created = prev == null ? Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        .toString() : prev.metadata().creationTimestamp();
                p = p.withMetadata(p.metadata().withVersion(String.valueOf(clock.next()), generation, created));
            }
            out.add(new Entry(p, e.file(), e.document()));
        }
        return out;
    }

    private static FileState failed(FileState old, byte[] hash, FileError error) {
        return new FileState(hash, old == null ? List.of() : old.good(), error, old == null ? null
                : old.lastGoodAt());
    }

    private void rebuild() {
        Map<String, Entry> eff = new LinkedHashMap<>();
        Map<String, List<String>> shadowed = new TreeMap<>();
        for (FileState state : files.values()) {
            for (Entry e : state.good()) {
                Entry winner = eff.putIfAbsent(e.policy().name(), e);
                if (winner != null) {
                    shadowed.computeIfAbsent(e.policy().name(), k -> new ArrayList<>()).add(e.file());
                }
            }
        }
        List<Conflict> c = new ArrayList<>();
        shadowed.forEach((name, losers) -> c.add(new Conflict(name, eff.get(name).file(), List.copyOf(losers))));
        effective = Map.copyOf(eff);
        conflicts = List.copyOf(c);
    }

    public Map<String, Entry> policies() {
        return effective;
    }

    public List<Conflict> conflicts() {
        return conflicts;
    }

    public synchronized List<FileStatus> files() {
        List<FileStatus> out = new ArrayList<>();
        files.forEach((rel, st) -> out.add(new FileStatus(rel, st.good().stream().map(e -> e.policy().name())
                .toList(), st.error(), st.lastGoodAt())));
        return out;
    }

    /** Files currently failing to load (their last-known-good policies, if any, stay active). */
    public synchronized int errorCount() {
        return (int) files.values().stream().filter(s -> s.error() != null).count();
    }

    public Instant lastScan() {
        return lastScan;
    }

    public String scanError() {
        return scanError;
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.meshwarden.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicyMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The embedded policy store: one canonical YAML file per policy in one directory. Writes are serialized and
 * durable (see {@link AtomicFiles}) before they are acknowledged; reads are served from memory.
 */
public final class FilePolicyStore implements PolicyStore {
    /** Longest name stored under its own file name: with ".yaml", a temp prefix and margin it stays under 255 bytes. */
    static final int MAX_PLAIN_NAME = 200;

    private final Path dir;
    private final ResourceVersionClock clock;
    private final LongConsumer writeNanos;
    private final Map<String, MeshPolicy> policies = new ConcurrentHashMap<>();
    private volatile List<LoadError> loadErrors = List.of();
    private volatile boolean loadedOnce;
    private final Object writeLock = new Object();

    public FilePolicyStore(Path dir, ResourceVersionClock clock, LongConsumer writeNanos) {
        this.dir = dir.toAbsolutePath().normalize();
        this.clock = clock;
        this.writeNanos = writeNanos == null ? n -> { } : writeNanos;
    }

    public Path directory() {
        return dir;
    }

    @Override
    public String location() {
        return dir.toString();
    }

    @Override
    public String type() {
        return "file";
    }

    /** Reads the directory; removes temp files left by a crash (they were never acknowledged). */
    @Override
    public void load() throws IOException {
        Files.createDirectories(dir);
        List<LoadError> errors = new ArrayList<>();
        Map<String, MeshPolicy> loaded = new ConcurrentHashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path file : entries) {
                String fileName = file.getFileName().toString();
                if (AtomicFiles.isTemp(file)) {
                    Files.deleteIfExists(file);
                    continue;
                }
                if (fileName.startsWith(".") || !fileName.endsWith(".yaml") || !Files.isRegularFile(file)) {
                    continue;
                }
                try {
                    MeshPolicy p = readFile(file);
                    if (!fileName.equals(fileNameOf(p.name()))) {
                        errors.add(new LoadError(fileName, "metadata.name '" + p.name() + "' does not match the file "
                                + "name"));
                        continue;
                    }
                    loaded.put(p.name(), p);
                    clock.observe(Long.parseLong(p.metadata().resourceVersion()));
                } catch (RuntimeException e) {
                    errors.add(new LoadError(fileName, e.getMessage()));
                }
            }
        }
        synchronized (writeLock) {
            policies.clear();
            policies.putAll(loaded);
            errors.sort(Comparator.comparing(LoadError::file));
            loadErrors = List.copyOf(errors);
            loadedOnce = true;
        }
    }

    @Override
    public boolean ready() {
        return loadedOnce;
    }

    private static MeshPolicy readFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read: " + e.getMessage(), e);
        }
        JsonNode doc = Documents.parseOne(bytes, true);
        MeshPolicy p = PolicyTypes.CODEC.read(doc);
        JsonNode node = doc.path("metadata");
        String rv = node.path("resourceVersion").asText(null);
        if (rv == null) {
            throw new IllegalStateException("metadata.resourceVersion is missing");
        }
        // The codec treats generation/creationTimestamp as server-managed input; the store is the server.
        return p.withMetadata(p.metadata().withVersion(rv, node.path("generation").asLong(1),
                node.path("creationTimestamp").asText(null)));
    }

    @Override
    public List<LoadError> loadErrors() {
        return loadErrors;
    }

    @Override
    public List<MeshPolicy> list() {
        List<MeshPolicy> out = new ArrayList<>(policies.values());
        out.sort(Comparator.comparing(MeshPolicy::name));
        return out;
    }

    @Override
    public Optional<MeshPolicy> get(String name) {
        return Optional.ofNullable(policies.get(name));
    }

    @Override
    public MeshPolicy create(MeshPolicy policy) {
        synchronized (writeLock) {
            if (policies.containsKey(policy.name())) {
                throw new StoreException.AlreadyExists(policy.name());
            }
            String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            MeshPolicy stored = policy.withMetadata(policy.metadata().withVersion(String.valueOf(clock.next()), 1,
                    now));
            persist(stored);
            return stored;
        }
    }

    /** A write that changes nothing touches no file. */
    @Override
    public MeshPolicy update(MeshPolicy policy, String expectedVersion, boolean viaIfMatch) {
        synchronized (writeLock) {
            MeshPolicy current = policies.get(policy.name());
            if (current == null) {
                throw new StoreException.NotFound(policy.name());
            }
            String currentRv = current.metadata().resourceVersion();
            if (expectedVersion != null && !expectedVersion.equals(currentRv)) {
                throw new StoreException.Conflict(policy.name(), expectedVersion, currentRv, viaIfMatch);
            }
            if (PolicyStore.sameContent(current, policy)) {
                return current;
            }
            PolicyMetadata cm = current.metadata();
            PolicyMetadata nm = policy.metadata();
            boolean specChanged = !Objects.equals(current.spec(), policy.spec());
            long generation = specChanged ? cm.generation() + 1 : cm.generation();
            MeshPolicy stored = policy.withMetadata(nm.withVersion(String.valueOf(clock.next()), generation,
                    cm.creationTimestamp()));
            persist(stored);
            return stored;
        }
    }

    @Override
    public MeshPolicy delete(String name, String expectedVersion, boolean viaIfMatch) {
        synchronized (writeLock) {
            MeshPolicy current = policies.get(name);
            if (current == null) {
                throw new StoreException.NotFound(name);
            }
            String currentRv = current.metadata().resourceVersion();
            if (expectedVersion != null && !expectedVersion.equals(currentRv)) {
                throw new StoreException.Conflict(name, expectedVersion, currentRv, viaIfMatch);
            }
            long start = System.nanoTime();
            try {
                AtomicFiles.delete(fileOf(name));
            } catch (IOException e) {
                throw new StoreException.Unavailable("could not delete policy file for '" + name + "': "
                        + e.getMessage(), e);
            }
            writeNanos.accept(System.nanoTime() - start);
            policies.remove(name);
            return current;
        }
    }

    private void persist(MeshPolicy stored) {
        long start = System.nanoTime();
        try {
            AtomicFiles.write(fileOf(stored.name()), Documents.utf8(Documents.toYaml(PolicyCodec.write(stored))));
        } catch (IOException e) {
            // Nothing in memory changed, so the caller sees the previous state and may retry.
            throw new StoreException.Unavailable("could not write policy '" + stored.name() + "': " + e.getMessage(),
                    e);
        }
        writeNanos.accept(System.nanoTime() - start);
        policies.put(stored.name(), stored);
    }

    private Path fileOf(String name) {
        return dir.resolve(fileNameOf(name));
    }

    /**
     * {@code <name>.yaml}, except for names too long for a file name with its suffix (a DNS subdomain may have 253
     * characters; file systems allow 255 bytes): those keep a prefix and a hash of the whole name. The '~' cannot
     * occur in a name, so the two forms never collide.
     */
    static String fileNameOf(String name) {
        if (name.length() <= MAX_PLAIN_NAME) {
            return name + ".yaml";
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return name.substring(0, MAX_PLAIN_NAME - 20) + "~" + HexFormat.of().formatHex(hash, 0, 8) + ".yaml";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

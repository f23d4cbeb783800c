package io.meshwarden.cli;

import io.meshwarden.files.FileTree;
import io.meshwarden.policies.PolicyTypes;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.cluster.ClusterSnapshotBuilder;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.MergePatch;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Mode;
import io.meshwarden.policy.PolicySpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * {@code fix --snapshot DIR --policies DIR --out DIR [--include-audit | --enforce-only] [--force]}: the offline
 * sibling of {@code audit} for a GitOps repository. It evaluates the policies, plans their remedies with the same
 * {@link Planner} as enforcement, and writes a remediated copy of the snapshot tree to {@code --out}:
 * <ul>
 * <li>every file is copied; files no change touches keep their exact bytes;</li>
 * <li>files holding a patched object are rewritten with the JSON merge patch (RFC 7386) applied to that document
 * (or {@code List} item); the file's other documents keep their text;</li>
 * <li>created objects go to {@code meshwarden-generated/<namespace>/<kind>-<name>.yaml} (kind lower case,
 * {@code _cluster} for cluster-scoped objects);</li>
 * <li>Helm values overlays, merged per release, go to {@code meshwarden-generated/helm/<namespace>/<release>.values.yaml}
 * with the {@code helm upgrade} line to apply them; Helm release Secrets are copied untouched.</li>
 * </ul>
 *
 * <p>By default every policy's remedies are applied whatever its mode: running fix is the user asking for the fix,
 * and audit mode only says the server must not apply it by itself. {@code --include-audit} states that default
 * explicitly; {@code --enforce-only} limits the fix to enforce-mode policies, as the server would.
 *
 * <p>Hidden files and folders (.git, editor state) are neither read by the snapshot loader nor copied, nor are links
 * to folders. Exit 0: the output was written (fixes or not); 2: bad usage or input, nothing written; 1: writing the
 * output failed part way.
 */
public final class FixCommand {
    public static final int OK = 0;
    public static final int WRITE_FAILED = 1;
    public static final int USAGE = 2;

    public static final String GENERATED_DIR = "meshwarden-generated";
    static final String USAGE_TEXT = "usage: meshwarden fix --snapshot DIR --policies DIR --out DIR "
            + "[--include-audit | --enforce-only] [--force]";

    private FixCommand() {
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** What one Change did to the output. */
    private record Done(Change change, String file) {
    }

    /** A values overlay for one release, merged over findings. */
    private static final class Overlay {
        final String namespace;
        final String release;
        final ObjectNode values = JsonNodeFactory.instance.objectNode();
        final Set<String> policies = new TreeSet<>();
        boolean restartsPods;

        Overlay(String namespace, String release) {
            this.namespace = namespace;
            this.release = release;
        }
    }

    private record Options(Path snapshot, Path policies, Path out, boolean enforceOnly, boolean force) {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
            if (o == null) {
                out.println(USAGE_TEXT);
                return OK;
            }
            checkOut(o);
        } catch (UsageException e) {
            err.println("meshwarden fix: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }

        List<MeshPolicy> policies;
        try {
            policies = AuditCommand.loadPolicies(o.policies());
        } catch (IllegalArgumentException e) {
            err.println("meshwarden fix: " + e.getMessage());
            return USAGE;
        }
        ClusterSnapshot snapshot;
        try {
            snapshot = new ManifestDirectoryLoader().load(o.snapshot());
        } catch (RuntimeException e) {
            err.println("meshwarden fix: cannot read snapshot: " + e.getMessage());
            return USAGE;
        }

        List<Path> files = new ArrayList<>();
        List<String> notCopied = new ArrayList<>();
        Map<String, FixManifestFile> manifests = new LinkedHashMap<>();
        try {
            walk(o.snapshot(), files, notCopied);
            for (Path f : files) {
                String rel = relative(o.snapshot(), f);
                if (FixManifestFile.isManifest(f.getFileName().toString())) {
                    manifests.put(rel, FixManifestFile.parse(o.snapshot().resolve(rel).toString(),
                            Files.readAllBytes(f)));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            err.println("meshwarden fix: cannot read snapshot: " + e.getMessage());
            return USAGE;
        } catch (IllegalArgumentException e) {
            err.println("meshwarden fix: cannot read snapshot: " + e.getMessage());
            return USAGE;
        }

        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        Set<String> inScope = new TreeSet<>();
        List<MeshPolicy> planned = new ArrayList<>();
        for (MeshPolicy p : policies) {
            if (!o.enforceOnly() || p.spec().mode() == Mode.ENFORCE) {
                inScope.add(p.name());
                planned.add(enforcing(p));
            }
        }
        Plan plan = Planner.plan(planned, result, snapshot);

        List<String> skipped = new ArrayList<>();
        for (Skipped s : plan.skipped()) {
            // Overlays are this command's job: it writes them below instead of skipping them.
            if (!Remedy.VALUES_OVERLAY.equals(s.action())) {
                skipped.add(describe(s.policy(), s.rule(), s.target(), s.reason()));
            }
        }

        Set<String> existing = new TreeSet<>();
        for (Path f : files) {
            existing.add(relative(o.snapshot(), f));
        }
        List<Done> patched = new ArrayList<>();
        Map<String, Done> created = new TreeMap<>();
        for (Change c : plan.changes()) {
            String policyList = String.join(", ", c.policies());
            List<String> holders = new ArrayList<>();
            boolean release = false;
            for (Map.Entry<String, FixManifestFile> m : manifests.entrySet()) {
                for (FixManifestFile.Entry e : m.getValue().entries()) {
                    if (e.matches(c.target(), ClusterSnapshotBuilder.DEFAULT_NAMESPACE)) {
                        holders.add(m.getKey());
                        release |= e.helmRelease();
                    }
                }
            }
            if (Change.CREATE.equals(c.action())) {
                String rel = generatedPath(c.target());
                if (!holders.isEmpty()) {
                    skipped.add(describe(policyList, String.join(", ", c.rules()), c.target(),
                            "already exists in " + String.join(", ", holders) + "; not overwritten"));
                } else if (existing.contains(rel) || created.containsKey(rel)) {
                    skipped.add(describe(policyList, String.join(", ", c.rules()), c.target(),
                            rel + " is already taken by another file"));
                } else {
                    created.put(rel, new Done(c, rel));
                }
                continue;
            }
            if (holders.isEmpty()) {
                skipped.add(describe(policyList, String.join(", ", c.rules()), c.target(),
                        "no snapshot file holds this object"));
                continue;
            }
            if (release) {
                skipped.add(describe(policyList, String.join(", ", c.rules()), c.target(),
                        Planner.VALUES_OVERLAY_REASON));
                continue;
            }
            Set<String> touched = new LinkedHashSet<>();
            for (Map.Entry<String, FixManifestFile> m : manifests.entrySet()) {
                for (FixManifestFile.Entry e : m.getValue().entries()) {
                    if (e.matches(c.target(), ClusterSnapshotBuilder.DEFAULT_NAMESPACE)
                            && m.getValue().patch(e.location(), c.body())) {
                        touched.add(m.getKey());
                    }
                }
            }
            if (touched.isEmpty()) {
                skipped.add(describe(policyList, String.join(", ", c.rules()), c.target(),
                        "the file already holds the patched values"));
            }
            for (String t : touched) {
                patched.add(new Done(c, t));
            }
        }

        Map<String, Overlay> overlays = overlays(result, inScope, skipped);

        Set<String> changedFiles = new TreeSet<>();
        try {
            Files.createDirectories(o.out());
            for (Path f : files) {
                String rel = relative(o.snapshot(), f);
                Path dest = o.out().resolve(rel);
                Files.createDirectories(dest.getParent());
                FixManifestFile m = manifests.get(rel);
                if (m != null && m.changed()) {
                    Files.write(dest, m.render());
                    changedFiles.add(rel);
                } else {
                    // A copy, not a re-serialization: a GitOps diff must show only what the fix changed.
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            for (Done d : created.values()) {
                write(o.out().resolve(d.file()), FixManifestFile.toYaml(d.change().body()));
            }
            for (Map.Entry<String, Overlay> e : overlays.entrySet()) {
                write(o.out().resolve(e.getKey()), FixManifestFile.toYaml(e.getValue().values));
            }
        } catch (IOException | RuntimeException e) {
            err.println("meshwarden fix: cannot write " + o.out() + ": " + e);
            return WRITE_FAILED;
        }

        summary(out, o, policies.size(), files.size(), changedFiles, patched, created, overlays, snapshot, skipped,
                notCopied);
        return OK;
    }

    private static Options parse(String[] args) throws UsageException {
        Path snapshot = null;
        Path policies = null;
        Path outDir = null;
        boolean includeAudit = false;
        boolean enforceOnly = false;
        boolean force = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--snapshot" -> snapshot = Path.of(value(args, ++i, a));
                case "--policies" -> policies = Path.of(value(args, ++i, a));
                case "--out" -> outDir = Path.of(value(args, ++i, a));
                case "--include-audit" -> includeAudit = true;
                case "--enforce-only" -> enforceOnly = true;
                case "--force" -> force = true;
                case "-h", "--help" -> {
                    return null;
                }
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if (snapshot == null || policies == null || outDir == null) {
            throw new UsageException("--snapshot, --policies and --out are required");
        }
        if (includeAudit && enforceOnly) {
            throw new UsageException("--include-audit and --enforce-only contradict each other");
        }
        if (!Files.isDirectory(snapshot)) {
            throw new UsageException("snapshot directory " + snapshot + " does not exist or is not a directory");
        }
        if (!Files.isDirectory(policies)) {
            throw new UsageException("policies directory " + policies + " does not exist");
        }
        return new Options(snapshot, policies, outDir, enforceOnly, force);
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    private static void checkOut(Options o) throws UsageException {
        Path out = o.out();
        try {
            Path realSnapshot = o.snapshot().toRealPath();
            Path realOut = real(out);
            // Output inside the snapshot would be read back as part of it by the next audit; the other way round a
            // copy could land on a snapshot file.
            if (realOut.startsWith(realSnapshot)) {
                throw new UsageException("--out " + out + " is inside the snapshot " + o.snapshot());
            }
            if (realSnapshot.startsWith(realOut)) {
                throw new UsageException("--out " + out + " contains the snapshot " + o.snapshot());
            }
            if (Files.exists(out)) {
                if (!Files.isDirectory(out)) {
                    throw new UsageException("--out " + out + " is not a directory");
                }
                boolean empty;
                try (Stream<Path> s = Files.list(out)) {
                    empty = s.findAny().isEmpty();
                }
                if (!empty && !o.force()) {
                    throw new UsageException("--out " + out + " is not empty; pass --force to write over it "
                            + "(files are replaced, nothing is deleted)");
                }
            }
        } catch (IOException e) {
            throw new UsageException("cannot inspect " + out + ": " + e.getMessage());
        }
    }

    /** The real path of p, resolving links through its nearest existing ancestor when p does not exist yet. */
    private static Path real(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        return existing.toRealPath().resolve(existing.relativize(abs));
    }

    private static MeshPolicy enforcing(MeshPolicy p) {
        PolicySpec s = p.spec();
        return new MeshPolicy(p.metadata(), new PolicySpec(s.type(), Mode.ENFORCE, s.severity(), s.target(),
                s.exemptions(), s.parameters()));
    }

    /** Regular files in path order, skipping what the snapshot loader skips (hidden entries, links to folders). */
    private static void walk(Path root, List<Path> files, List<String> notCopied) throws IOException {
        FileTree tree = FileTree.walk(root, false, Integer.MAX_VALUE);
        files.addAll(tree.files());
        tree.notRegular().forEach(p -> notCopied.add(relative(root, p) + " (not a regular file)"));
    }

    /** With forward slashes, as printed and as keys. */
    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    static String generatedPath(ResourceRef t) {
        String ns = t.namespace() == null ? "_cluster" : t.namespace();
        return GENERATED_DIR + "/" + ns + "/" + t.kind().toLowerCase(Locale.ROOT) + "-" + t.name() + ".yaml";
    }

    static String overlayPath(String namespace, String release) {
        return GENERATED_DIR + "/helm/" + namespace + "/" + release + ".values.yaml";
    }

    /**
     * One overlay per release, merged in finding order. A later overlay that disagrees with an earlier one on a value
     * is dropped whole (and reported), as the Planner does for patches, so no half-applied fix is written.
     */
    private static Map<String, Overlay> overlays(EvaluationResult result, Set<String> inScope, List<String> skipped) {
        Map<String, Overlay> out = new TreeMap<>();
        for (Finding f : result.findings()) {
            Remedy r = f.remedy();
            if (!inScope.contains(f.policy()) || r == null || !Remedy.VALUES_OVERLAY.equals(r.action())) {
                continue;
            }
            ResourceRef t = r.target() == null ? f.resource() : r.target();
            if (r.patch() == null || !r.patch().isObject() || t.namespace() == null) {
                skipped.add(describe(f.policy(), f.rule(), t, "the values overlay carries no values"));
                continue;
            }
            String path = overlayPath(t.namespace(), t.name());
            Overlay o = out.computeIfAbsent(path, k -> new Overlay(t.namespace(), t.name()));
            List<String> conflicts = MergePatch.mergeInto(o.values, r.patch());
            if (!conflicts.isEmpty()) {
                skipped.add(describe(f.policy(), f.rule(), t, "sets " + String.join(", ", conflicts)
                        + " to other values than " + String.join(", ", o.policies) + "; the first one is kept"));
                continue;
            }
            o.policies.add(f.policy());
            o.restartsPods |= r.restartsPods();
        }
        out.values().removeIf(o -> o.policies.isEmpty());
        return out;
    }

    private static String describe(String policy, String rule, ResourceRef target, String reason) {
        return policy + (rule == null ? "" : " " + rule) + " " + target + ": " + reason;
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    private static void summary(PrintStream out, Options o, int policyCount, int fileCount, Set<String> changedFiles,
            List<Done> patched, Map<String, Done> created, Map<String, Overlay> overlays, ClusterSnapshot snapshot,
            List<String> skipped, List<String> notCopied) {
        out.println("meshwarden fix: wrote " + o.out() + " from " + o.snapshot() + " (" + policyCount + " policies, "
                + (o.enforceOnly() ? "enforce-mode policies only" : "every policy whatever its mode") + ")");
        out.println("files copied: " + fileCount + ", unchanged: " + (fileCount - changedFiles.size()));
        out.println("files changed: " + changedFiles.size());
        for (String file : changedFiles) {
            out.println("  " + file);
            for (Done d : patched) {
                if (d.file().equals(file)) {
                    out.println("    " + d.change().target() + " (" + String.join(", ", d.change().policies())
                            + (d.change().restartsPods() ? "; restarts pods when applied" : "") + ")");
                }
            }
        }
        out.println("files created: " + created.size());
        for (Done d : created.values()) {
            out.println("  " + d.file() + " (" + d.change().target() + "; " + String.join(", ", d.change().policies())
                    + ")");
        }
        out.println("helm values overlays: " + overlays.size());
        for (Map.Entry<String, Overlay> e : overlays.entrySet()) {
            Overlay ov = e.getValue();
            String chart = chart(snapshot, ov.namespace, ov.release);
            out.println("  " + e.getKey() + " (" + String.join(", ", ov.policies)
                    + (ov.restartsPods ? "; rolls out pods when applied" : "") + ")");
            out.println("    helm upgrade " + ov.release + " " + chart + " -n " + ov.namespace
                    + " --reuse-values -f " + o.out().resolve(e.getKey()));
        }
        if (!overlays.isEmpty()) {
            out.println("  (the chart is the release's chart name: prefix your repository alias or give its path)");
        }
        out.println("skipped remedies: " + skipped.size());
        for (String s : skipped) {
            out.println("  " + s);
        }
        if (!notCopied.isEmpty()) {
            out.println("not copied: " + notCopied.size());
            for (String s : notCopied) {
                out.println("  " + s);
            }
        }
    }

    private static String chart(ClusterSnapshot snapshot, String namespace, String release) {
        for (HelmRelease r : snapshot.helmReleases()) {
            if (r.namespace().equals(namespace) && r.name().equals(release) && r.chartName() != null
                    && !r.chartName().isBlank()) {
                return r.chartName();
            }
        }
        return "<chart>";
    }
}

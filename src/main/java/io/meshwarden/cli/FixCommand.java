package io.meshwarden.cli;

import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.enforce.Planner;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
        FixService.Result result;
        try {
            result = FixService.prepare(o.snapshot(), o.policies(), o.enforceOnly());
        } catch (FixService.InputException e) {
            err.println("meshwarden fix: " + e.getMessage());
            return USAGE;
        }
        Set<String> changedFiles;
        try {
            changedFiles = FixService.write(result, o.snapshot(), o.out());
        } catch (IOException | RuntimeException e) {
            err.println("meshwarden fix: cannot write " + o.out() + ": " + e);
            return WRITE_FAILED;
        }
        summary(out, o, result, changedFiles);
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


    private static void summary(PrintStream out, Options o, FixService.Result r, Set<String> changedFiles) {
        int fileCount = r.files().size();
        out.println("meshwarden fix: wrote " + o.out() + " from " + o.snapshot() + " (" + r.policyCount()
                + " policies, " + (o.enforceOnly() ? "enforce-mode policies only" : "every policy whatever its mode")
                + ")");
        out.println("files copied: " + fileCount + ", unchanged: " + (fileCount - changedFiles.size()));
        out.println("files changed: " + changedFiles.size());
        for (String file : changedFiles) {
            out.println("  " + file);
            for (FixService.Done d : r.patched()) {
                if (d.file().equals(file)) {
                    out.println("    " + d.change().target() + " (" + String.join(", ", d.change().policies())
                            + (d.change().restartsPods() ? "; restarts pods when applied" : "") + ")");
                }
            }
        }
        out.println("files created: " + r.created().size());
        for (FixService.Done d : r.created().values()) {
            out.println("  " + d.file() + " (" + d.change().target() + "; " + String.join(", ", d.change().policies())
                    + ")");
        }
        out.println("helm values overlays: " + r.overlays().size());
        for (HelmOverlays.Overlay ov : r.overlays().values()) {
            String file = FixService.overlayPath(ov.namespace(), ov.release());
            out.println("  " + file + " (" + String.join(", ", new java.util.TreeSet<>(ov.policies()))
                    + (ov.restartsPods() ? "; rolls out pods when applied" : "") + ")");
            out.println("    " + HelmOverlays.upgradeCommand(r.charts().get(ov.key()), ov.namespace(), ov.release(),
                    o.out().resolve(file).toString()));
        }
        if (!r.overlays().isEmpty()) {
            out.println("  (" + HelmOverlays.REPO_NOTE + ")");
        }
        out.println("skipped remedies: " + r.skipped().size());
        for (String s : r.skipped()) {
            out.println("  " + s);
        }
        if (!r.notCopied().isEmpty()) {
            out.println("not copied: " + r.notCopied().size());
            for (String s : r.notCopied()) {
                out.println("  " + s);
            }
        }
    }
}

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
@Command(name = "fix", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Write the manifest folder with every remedy applied, for a GitOps repository.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the output was written (fixes or not)", "2:bad usage or input, nothing written",
                "1:writing the output failed part way"})
public final class FixCommand extends CliCommand {
    public static final int OK = 0;
    public static final int WRITE_FAILED = 1;
    public static final int USAGE = 2;

    public static final String GENERATED_DIR = "meshwarden-generated";

    @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "the manifest folder to fix")
    Path snapshot;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "the folder of policy files")
    Path policies;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "where the remediated copy goes (new or empty, or any with --force)")
    Path outDir;

    @Option(names = "--include-audit", description = "apply every policy's remedies whatever its mode (the default)")
    boolean includeAudit;

    @Option(names = "--enforce-only", description = "apply only enforce-mode policies' remedies, as the server would")
    boolean enforceOnly;

    @Option(names = "--force", description = "write into a folder that is not empty (files are replaced, nothing "
            + "is deleted)")
    boolean force;

    FixCommand(PrintStream out, PrintStream err) {
        super(out, err);
    }

    private record Options(Path snapshot, Path policies, Path out, boolean enforceOnly, boolean force) {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Main.run("fix", args, out, err);
    }

    @Override
    public Integer call() {
        Options o = new Options(snapshot, policies, outDir, enforceOnly, force);
        if (includeAudit && enforceOnly) {
            throw usage("--include-audit and --enforce-only contradict each other");
        }
        if (!Files.isDirectory(snapshot)) {
            throw usage("snapshot directory " + snapshot + " does not exist or is not a directory");
        }
        if (!Files.isDirectory(policies)) {
            throw usage("policies directory " + policies + " does not exist");
        }
        String outProblem = checkOut(o);
        if (outProblem != null) {
            throw usage(outProblem);
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

    /** Why --out cannot be written, or null. */
    private static String checkOut(Options o) {
        Path out = o.out();
        try {
            Path realSnapshot = o.snapshot().toRealPath();
            Path realOut = real(out);
            // Output inside the snapshot would be read back as part of it by the next audit; the other way round a
            // copy could land on a snapshot file.
            if (realOut.startsWith(realSnapshot)) {
                return "--out " + out + " is inside the snapshot " + o.snapshot();
            }
            if (realSnapshot.startsWith(realOut)) {
                return "--out " + out + " contains the snapshot " + o.snapshot();
            }
            if (Files.exists(out)) {
                if (!Files.isDirectory(out)) {
                    return "--out " + out + " is not a directory";
                }
                boolean empty;
                try (Stream<Path> s = Files.list(out)) {
                    empty = s.findAny().isEmpty();
                }
                if (!empty && !o.force()) {
                    return "--out " + out + " is not empty; pass --force to write over it "
                            + "(files are replaced, nothing is deleted)";
                }
            }
            return null;
        } catch (IOException e) {
            return "cannot inspect " + out + ": " + e.getMessage();
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

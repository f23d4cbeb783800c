package io.meshwarden.cli;

import io.meshwarden.cluster.ClusterSnapshotBuilder;
import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Skipped;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.files.FileTree;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Mode;
import io.meshwarden.policy.PolicySpec;
import io.meshwarden.report.Report;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@code fix} does, apart from its command line: read the manifest tree and the policies, evaluate, plan every
 * remedy as if the policies enforced, map each change onto the file that holds its object, fold the Helm values
 * overlays; then write the fixed tree.
 */
final class FixService {
    private FixService() {
    }

    /** Bad input: the message names what could not be read. */
    static final class InputException extends Exception {
        InputException(String message) {
            super(message);
        }
    }

    /** What one Change did to the output. */
    record Done(Change change, String file) {
    }

    /**
     * @param files     the snapshot's regular files, in path order
     * @param manifests the parsed manifest files, by path relative to the snapshot
     * @param created   new objects by the path they are written to
     * @param charts    the chart of each Helm release, keyed {@code namespace/name}
     */
    record Result(int policyCount, List<Path> files, List<String> notCopied, Map<String, FixManifestFile> manifests,
            List<Done> patched, Map<String, Done> created, Map<String, HelmOverlays.Overlay> overlays,
            Map<String, HelmRelease.Chart> charts, List<String> skipped) {
    }

    static Result prepare(Path snapshotDir, Path policiesDir, boolean enforceOnly) throws InputException {
        List<MeshPolicy> policies;
        try {
            policies = AuditCommand.loadPolicies(policiesDir);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
        ClusterSnapshot snapshot;
        try {
            snapshot = new ManifestDirectoryLoader().load(snapshotDir);
        } catch (RuntimeException e) {
            throw new InputException("cannot read snapshot: " + e.getMessage());
        }
        List<Path> files;
        List<String> notCopied = new ArrayList<>();
        Map<String, FixManifestFile> manifests = new LinkedHashMap<>();
        try {
            FileTree tree = FileTree.walk(snapshotDir, false, Integer.MAX_VALUE);
            files = tree.files();
            tree.notRegular().forEach(p -> notCopied.add(relative(snapshotDir, p) + " (not a regular file)"));
            for (Path f : files) {
                String rel = relative(snapshotDir, f);
                if (FixManifestFile.isManifest(f.getFileName().toString())) {
                    manifests.put(rel, FixManifestFile.parse(snapshotDir.resolve(rel).toString(),
                            Files.readAllBytes(f)));
                }
            }
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new InputException("cannot read snapshot: " + e.getMessage());
        }

        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        Set<String> inScope = new TreeSet<>();
        List<MeshPolicy> planned = new ArrayList<>();
        for (MeshPolicy p : policies) {
            if (!enforceOnly || p.spec().mode() == Mode.ENFORCE) {
                inScope.add(p.name());
                planned.add(enforcing(p));
            }
        }
        Plan plan = Planner.plan(planned, result, snapshot);
        List<String> skipped = new ArrayList<>();
        for (Skipped s : plan.skipped()) {
            // Overlays are this command's job: it writes them instead of skipping them.
            if (!Remedy.VALUES_OVERLAY.equals(s.action())) {
                skipped.add(describe(s.policy(), s.rule(), s.target(), s.reason()));
            }
        }
        Set<String> existing = new TreeSet<>();
        files.forEach(f -> existing.add(relative(snapshotDir, f)));
        List<Done> patched = new ArrayList<>();
        Map<String, Done> created = new TreeMap<>();
        for (Change c : plan.changes()) {
            place(c, manifests, existing, patched, created, skipped);
        }
        HelmOverlays.Folded folded = HelmOverlays.fold(result.findings(), inScope::contains);
        folded.skipped().forEach(s -> skipped.add(describe(s.policy(), s.rule(), s.target(), s.reason())));
        return new Result(policies.size(), files, notCopied, manifests, patched, created, folded.overlays(),
                Report.chartsOf(snapshot), skipped);
    }

    /** Puts one change where it belongs: a patch into the files holding its object, a new object into its file. */
    private static void place(Change c, Map<String, FixManifestFile> manifests, Set<String> existing,
            List<Done> patched, Map<String, Done> created, List<String> skipped) {
        String policyList = String.join(", ", c.policies());
        String rules = String.join(", ", c.rules());
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
        if (Change.DELETE.equals(c.action())) {
            skipped.add(describe(policyList, rules, c.target(), "delete it"
                    + (holders.isEmpty() ? "" : " from " + String.join(", ", holders))
                    + ": fix never removes objects from files"));
            return;
        }
        if (Change.CREATE.equals(c.action())) {
            String rel = generatedPath(c.target());
            if (!holders.isEmpty()) {
                skipped.add(describe(policyList, rules, c.target(), "already exists in " + String.join(", ", holders)
                        + "; not overwritten"));
            } else if (existing.contains(rel) || created.containsKey(rel)) {
                skipped.add(describe(policyList, rules, c.target(), rel + " is already taken by another file"));
            } else {
                created.put(rel, new Done(c, rel));
            }
            return;
        }
        if (holders.isEmpty()) {
            skipped.add(describe(policyList, rules, c.target(), "no snapshot file holds this object"));
            return;
        }
        if (release) {
            skipped.add(describe(policyList, rules, c.target(), Planner.VALUES_OVERLAY_REASON));
            return;
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
            skipped.add(describe(policyList, rules, c.target(), "the file already holds the patched values"));
        }
        touched.forEach(t -> patched.add(new Done(c, t)));
    }

    /** Writes the fixed tree; returns the files it changed (relative paths). */
    static Set<String> write(Result r, Path snapshotDir, Path out) throws IOException {
        Set<String> changedFiles = new TreeSet<>();
        Files.createDirectories(out);
        for (Path f : r.files()) {
            String rel = relative(snapshotDir, f);
            Path dest = out.resolve(rel);
            Files.createDirectories(dest.getParent());
            FixManifestFile m = r.manifests().get(rel);
            if (m != null && m.changed()) {
                Files.write(dest, m.render());
                changedFiles.add(rel);
            } else {
                // A copy, not a re-serialization: a GitOps diff must show only what the fix changed.
                Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (Done d : r.created().values()) {
            write(out.resolve(d.file()), FixManifestFile.toYaml(d.change().body()));
        }
        for (HelmOverlays.Overlay o : r.overlays().values()) {
            write(out.resolve(overlayPath(o.namespace(), o.release())), FixManifestFile.toYaml(o.values()));
        }
        return changedFiles;
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Every policy as if it enforced: fix proposes what each would change. */
    private static MeshPolicy enforcing(MeshPolicy p) {
        PolicySpec s = p.spec();
        return new MeshPolicy(p.metadata(), new PolicySpec(s.type(), Mode.ENFORCE, s.severity(), s.target(),
                s.exemptions(), s.parameters()));
    }

    /** With forward slashes, as printed and as keys. */
    static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    static String generatedPath(ResourceRef t) {
        String ns = t.namespace() == null ? "_cluster" : t.namespace();
        return FixCommand.GENERATED_DIR + "/" + ns + "/" + t.kind().toLowerCase(Locale.ROOT) + "-" + t.name() + ".yaml";
    }

    static String overlayPath(String namespace, String release) {
        return FixCommand.GENERATED_DIR + "/helm/" + namespace + "/" + release + ".values.yaml";
    }

    private static String describe(String policy, String rule, ResourceRef target, String reason) {
        return policy + (rule == null ? "" : " " + rule) + " " + target + ": " + reason;
    }
}

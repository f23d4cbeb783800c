package io.meshwarden.cli;

import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Severity;
import io.meshwarden.policy.Violation;
import io.meshwarden.report.Report;
import io.meshwarden.report.ReportDocuments;
import io.meshwarden.store.ResourceVersionClock;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code audit --snapshot DIR --policies DIR [--output text|json|yaml] [--fail-on warning|danger]}: evaluates
 * policy files against a manifest directory without a cluster. Exit 0: nothing at or above the threshold;
 * 3: findings at or above it; 2: bad usage or input.
 */
public final class AuditCommand {
    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int FINDINGS = 3;

    static final String USAGE_TEXT = "usage: meshwarden audit --snapshot DIR --policies DIR "
            + "[--output text|json|yaml] [--fail-on warning|danger]";

    private AuditCommand() {
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path snapshotDir = null;
        Path policiesDir = null;
        String output = "text";
        Severity failOn = Severity.WARNING;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--snapshot" -> snapshotDir = Path.of(value(args, ++i, a));
                    case "--policies" -> policiesDir = Path.of(value(args, ++i, a));
                    case "--output" -> {
                        output = value(args, ++i, a);
                        if (!List.of("text", "json", "yaml").contains(output)) {
                            throw new UsageException("--output must be text, json or yaml, got '" + output + "'");
                        }
                    }
                    case "--fail-on" -> {
                        String v = value(args, ++i, a);
                        if (v.equals("warning")) {
                            failOn = Severity.WARNING;
                        } else if (v.equals("danger")) {
                            failOn = Severity.DANGER;
                        } else {
                            throw new UsageException("--fail-on must be warning or danger, got '" + v + "'");
                        }
                    }
                    case "-h", "--help" -> {
                        out.println(USAGE_TEXT);
                        return OK;
                    }
                    default -> throw new UsageException("unknown argument '" + a + "'");
                }
            }
            if (snapshotDir == null || policiesDir == null) {
                throw new UsageException("--snapshot and --policies are required");
            }
            if (!Files.exists(snapshotDir)) {
                throw new UsageException("snapshot " + snapshotDir + " does not exist");
            }
            if (!Files.isDirectory(policiesDir)) {
                throw new UsageException("policies directory " + policiesDir + " does not exist");
            }
        } catch (UsageException e) {
            err.println("meshwarden audit: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }

        List<MeshPolicy> policies;
        try {
            policies = loadPolicies(policiesDir);
        } catch (IllegalArgumentException e) {
            err.println("meshwarden audit: " + e.getMessage());
            return USAGE;
        }
        ClusterSnapshot snapshot;
        try {
            snapshot = new ManifestDirectoryLoader().load(snapshotDir);
        } catch (RuntimeException e) {
            // The loader's messages name the file (and line when known).
            err.println("meshwarden audit: cannot read snapshot: " + e.getMessage());
            return USAGE;
        }
        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        Report report = new Report(Instant.now(), "snapshot:" + snapshotDir, policies.size(), result, List.of(),
                Report.chartsOf(snapshot));
        switch (output) {
            case "json" -> out.println(Documents.toJson(ReportDocuments.report(report)));
            case "yaml" -> out.print(Documents.toYaml(ReportDocuments.report(report)));
            default -> out.print(ReportDocuments.text(result.findings(), result.summary(), result.cost()));
        }
        Severity threshold = failOn;
        boolean failing = result.findings().stream().map(Finding::severity)
                .anyMatch(s -> s.compareTo(threshold) >= 0);
        return failing ? FINDINGS : OK;
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    /** Same reader as the GitOps source, but any broken file or duplicate name is fatal here. */
    static List<MeshPolicy> loadPolicies(Path dir) {
        GitOpsSource source = new GitOpsSource(dir, new ResourceVersionClock());
        source.scan();
        List<String> problems = new ArrayList<>();
        if (source.scanError() != null) {
            problems.add(source.scanError());
        }
        for (GitOpsSource.FileStatus f : source.files()) {
            if (f.error() != null) {
                StringBuilder sb = new StringBuilder(dir.resolve(f.file()).toString());
                if (f.error().line() > 0) {
                    sb.append(':').append(f.error().line());
                }
                sb.append(": ").append(f.error().message());
                for (Violation v : f.error().violations()) {
                    sb.append("\n  ").append(v.field()).append(": ").append(v.reason());
                }
                problems.add(sb.toString());
            }
        }
        source.conflicts().forEach(c -> problems.add("policy '" + c.name() + "' is defined in " + c.winnerFile()
                + " and " + String.join(", ", c.shadowedFiles())));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid policies:\n" + String.join("\n", problems));
        }
        List<MeshPolicy> out = new ArrayList<>();
        source.policies().values().forEach(e -> out.add(e.policy()));
        out.sort(java.util.Comparator.comparing(MeshPolicy::name));
        return out;
    }
}

package io.meshwarden.cli;

import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.SourceLocation;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Severity;
import io.meshwarden.policy.Violation;
import io.meshwarden.report.JunitReport;
import io.meshwarden.report.Report;
import io.meshwarden.report.ReportDocuments;
import io.meshwarden.report.SarifReport;
import io.meshwarden.store.ResourceVersionClock;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code audit --snapshot DIR --policies DIR [--output text|json|yaml|sarif|junit] [--fail-on LEVELS]}: evaluates
 * policy files against a manifest directory without a cluster. Exit 0: nothing at a level that fails; 3: findings
 * (or notes) at such a level; 2: bad usage or input.
 */
@Command(name = "audit", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Evaluate policy files against a manifest folder, without a cluster or a server.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:nothing at a level that fails", "3:findings (or notes) at a level that fails",
                "2:bad usage or input"})
public final class AuditCommand extends CliCommand {
    public static final int OK = 0;
    public static final int USAGE = 2;
    public static final int FINDINGS = 3;

    static final List<String> OUTPUTS = List.of("text", "json", "yaml", "sarif", "junit");

    @Option(names = "--snapshot", required = true, paramLabel = "DIR",
            description = "the manifest folder (or one file) to audit, as `kubectl get -o yaml` or Helm would write it")
    Path snapshotDir;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "the folder of policy files")
    Path policiesDir;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", completionCandidates = Outputs.class,
            description = "text (default), json, yaml, sarif (SARIF 2.1.0 for code scanning) or junit (JUnit XML)")
    String output;

    @Option(names = "--fail-on", paramLabel = "LEVEL[,LEVEL...]", defaultValue = "warning",
            description = "what makes the exit code 3, a comma list of: warning (any finding, the default), "
                    + "danger (danger findings), note (notes on what could not be checked)")
    String failOnText;

    @Option(names = "--docs-url", paramLabel = "URL", defaultValue = SarifReport.DEFAULT_DOCS_URL,
            description = "where the rule pages (docs/rules/<id>.md) are linked from in SARIF")
    String docsUrl;

    AuditCommand(PrintStream out, PrintStream err) {
        super(out, err);
    }

    /** The completion script's candidates for --output. */
    static final class Outputs extends ArrayList<String> {
        Outputs() {
            super(OUTPUTS);
        }
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return Main.run("audit", args, out, err);
    }

    @Override
    public Integer call() {
        if (!OUTPUTS.contains(output)) {
            throw usage("--output must be text, json, yaml, sarif or junit, got '" + output + "'");
        }
        FailOn failOn;
        try {
            failOn = FailOn.parse(failOnText);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (!docsUrl.matches("https?://[^\\s]+")) {
            throw usage("--docs-url must be an http(s) URL, got '" + docsUrl + "'");
        }
        if (!Files.exists(snapshotDir)) {
            throw usage("snapshot " + snapshotDir + " does not exist");
        }
        if (!Files.isDirectory(policiesDir)) {
            throw usage("policies directory " + policiesDir + " does not exist");
        }

        List<GitOpsSource.Entry> entries;
        try {
            entries = loadPolicyEntries(policiesDir);
        } catch (IllegalArgumentException e) {
            err.println("meshwarden audit: " + e.getMessage());
            return USAGE;
        }
        List<MeshPolicy> policies = entries.stream().map(GitOpsSource.Entry::policy).toList();
        ManifestDirectoryLoader.Located loaded;
        try {
            loaded = new ManifestDirectoryLoader().loadLocated(snapshotDir);
        } catch (RuntimeException e) {
            // The loader's messages name the file (and line when known).
            err.println("meshwarden audit: cannot read snapshot: " + e.getMessage());
            return USAGE;
        }
        ClusterSnapshot snapshot = loaded.snapshot();
        EvaluationResult result = PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
        Report report = new Report(Instant.now(), "snapshot:" + snapshotDir, policies.size(), result, List.of(),
                Report.chartsOf(snapshot));
        switch (output) {
            case "json" -> out.println(Documents.toJson(ReportDocuments.report(report)));
            case "yaml" -> out.print(Documents.toYaml(ReportDocuments.report(report)));
            case "sarif" -> {
                Map<String, SourceLocation> policySources = new HashMap<>();
                for (GitOpsSource.Entry e : entries) {
                    policySources.put(e.policy().name(), new SourceLocation(policiesDir.resolve(e.file()).toString(),
                            e.document() == 1 ? 1 : 0));
                }
                List<RuleId> rules = PolicyTypes.ALL.stream().flatMap(k -> k.rules().stream()).toList();
                out.println(Documents.toJson(SarifReport.of(result, new SarifReport.Context(Main.version(), docsUrl,
                        rules, loaded.sources(), policySources, snapshotDir.toString(), policiesDir.toString()))));
            }
            case "junit" -> out.print(JunitReport.of(result, policies, failOn.notes()));
            default -> out.print(ReportDocuments.text(result.findings(), result.summary(), result.cost(),
                    result.notes()));
        }
        return failOn.fails(result) ? FINDINGS : OK;
    }

    /**
     * Which results fail the run. {@code warning} keeps its meaning from before lists (any finding: a warning or
     * worse), {@code danger} only danger findings, {@code note} any note; a list fails on any of its words.
     */
    record FailOn(Set<Severity> severities, boolean notes) {
        static FailOn parse(String value) {
            Set<Severity> severities = EnumSet.noneOf(Severity.class);
            boolean notes = false;
            for (String word : value.split(",", -1)) {
                switch (word.trim()) {
                    case "warning" -> severities.addAll(EnumSet.of(Severity.WARNING, Severity.DANGER));
                    case "danger" -> severities.add(Severity.DANGER);
                    case "note" -> notes = true;
                    default -> throw new IllegalArgumentException("--fail-on takes a comma list of warning, danger "
                            + "and note, got '" + value + "'");
                }
            }
            return new FailOn(severities, notes);
        }

        boolean fails(EvaluationResult result) {
            return (notes && !result.notes().isEmpty())
                    || result.findings().stream().map(Finding::severity).anyMatch(severities::contains);
        }
    }


    static List<MeshPolicy> loadPolicies(Path dir) {
        return loadPolicyEntries(dir).stream().map(GitOpsSource.Entry::policy).toList();
    }

    /** Same reader as the GitOps source, but any broken file or duplicate name is fatal here. */
    static List<GitOpsSource.Entry> loadPolicyEntries(Path dir) {
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
        List<GitOpsSource.Entry> out = new ArrayList<>(source.policies().values());
        out.sort(java.util.Comparator.comparing(e -> e.policy().name()));
        return out;
    }
}

package io.meshwarden.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshwarden.cluster.ManifestDirectoryLoader;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule ids are a public contract: each is defined once in src/main, is listed by its type, and has its page at
 * docs/rules/&lt;id&gt;.md whose failing example reports it and whose passing example (making at least one check)
 * does not. The examples run exactly as {@code meshwarden audit} would load them: the MeshPolicy documents are the
 * policies, every other document goes into a manifest folder.
 */
class RuleDocsTest {
    static final Path DOCS = Path.of("docs", "rules");
    static final Path MAIN = Path.of("src", "main", "java");
    static final Pattern EXAMPLE = Pattern.compile("## (Failing|Passing) example\\s*\\n```yaml\\n(.*?)\\n```",
            Pattern.DOTALL);

    @TempDir
    Path tmp;

    static List<RuleId> allRules() {
        List<RuleId> out = new ArrayList<>();
        PolicyTypes.ALL.forEach(k -> out.addAll(k.rules()));
        return out;
    }

    @Test
    void everyRuleIdIsUniqueAndDefinedOnceInTheCode() throws IOException {
        Set<String> seen = new HashSet<>();
        String code;
        try (Stream<Path> files = Files.walk(MAIN)) {
            StringBuilder b = new StringBuilder();
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                b.append(Files.readString(p)).append('\n');
            }
            code = b.toString();
        }
        for (RuleId r : allRules()) {
            assertTrue(seen.add(r.id()), "rule id " + r.id() + " listed twice");
            int count = 0;
            Matcher m = Pattern.compile("\"" + Pattern.quote(r.id()) + "\"").matcher(code);
            while (m.find()) {
                count++;
            }
            assertEquals(1, count, "\"" + r.id() + "\" should stand exactly once in src/main");
        }
    }

    @Test
    void theIndexListsEveryRuleAndNoOther() throws IOException {
        String index = Files.readString(DOCS.resolve("README.md"));
        Set<String> linked = new HashSet<>();
        Matcher m = Pattern.compile("\\]\\(([a-z0-9-]+)\\.md\\)").matcher(index);
        while (m.find()) {
            linked.add(m.group(1));
        }
        Set<String> ids = new HashSet<>();
        allRules().forEach(r -> ids.add(r.id()));
        assertEquals(ids, linked);
        try (Stream<Path> pages = Files.list(DOCS)) {
            for (Path p : pages.toList()) {
                String name = p.getFileName().toString();
                if (!name.equals("README.md")) {
                    assertTrue(ids.contains(name.replace(".md", "")), "page without a rule: " + name);
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyRuleHasAPageWhoseExamplesRun() {
        return PolicyTypes.ALL.stream().flatMap(kind -> kind.rules().stream()
                .map(rule -> DynamicTest.dynamicTest(rule.id(), () -> checkPage(kind, rule))));
    }

    private void checkPage(PolicyKind kind, RuleId rule) throws IOException {
        Path page = Path.of(rule.docsPath());
        assertTrue(Files.isRegularFile(page), "missing docs page " + page);
        String text = Files.readString(page);
        assertTrue(text.startsWith("# " + rule.id() + "\n"), page + " starts with its id");
        assertTrue(text.contains("Policy type: `" + kind.name() + "`"), page + " names its type");
        for (String section : List.of("## What it checks", "## Why", "## Remedy")) {
            assertTrue(text.contains(section), page + " has " + section);
        }
        Matcher m = EXAMPLE.matcher(text);
        int examples = 0;
        while (m.find()) {
            examples++;
            boolean failing = m.group(1).equals("Failing");
            EvaluationResult r = run(m.group(2), kind, page + " " + m.group(1));
            List<String> rules = r.findings().stream().map(Finding::rule).toList();
            if (failing) {
                assertTrue(rules.contains(rule.id()), page + ": the failing example should report " + rule.id()
                        + ", got " + rules);
            } else {
                assertFalse(rules.contains(rule.id()), page + ": the passing example reports " + rule.id());
                assertTrue(r.summary().evaluated() > 0, page + ": the passing example checks nothing");
            }
        }
        assertEquals(2, examples, page + " has one failing and one passing example");
    }

    private EvaluationResult run(String yaml, PolicyKind kind, String where) throws IOException {
        List<MeshPolicy> policies = new ArrayList<>();
        Path dir = Files.createTempDirectory(tmp, "snapshot");
        StringBuilder objects = new StringBuilder();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            List<Documents.Located> parsed = Documents.parseAll(doc.getBytes(StandardCharsets.UTF_8), true);
            if (parsed.isEmpty()) {
                continue;
            }
            JsonNode node = parsed.get(0).node();
            if (MeshPolicy.KIND.equals(node.path("kind").asText())) {
                MeshPolicy p = PolicyTypes.CODEC.read(node);
                assertEquals(kind, p.spec().type(), where + ": the example's policy is of the page's type");
                policies.add(p);
            } else {
                objects.append("---\n").append(doc.strip()).append('\n');
            }
        }
        if (policies.size() != 1) {
            fail(where + ": an example holds exactly one MeshPolicy, found " + policies.size());
        }
        try {
            Files.writeString(dir.resolve("objects.yaml"), objects.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ClusterSnapshot snapshot = new ManifestDirectoryLoader().load(dir);
        return PolicyTypes.EVALUATOR.evaluate(policies, snapshot);
    }
}

package io.meshwarden.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.store.ResourceVersionClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same 600 generated documents as GitOps file edits: a broken edit keeps the last-known-good policies and
 * reports where it broke; an edit that is valid replaces them. Nothing invalid is ever served.
 */
class GitOpsFuzzTest {
    @TempDir
    Path root;

    @Test
    void brokenEditsKeepLastKnownGoodAndAreReported() throws Exception {
        Path file = root.resolve("policies.yaml");
        String good = Files.readString(Path.of("src/test/resources/fuzz-seeds/workloads.yaml"));
        GitOpsSource source = new GitOpsSource(root, new ResourceVersionClock());
        int reported = 0;
        int accepted = 0;
        List<MalformedPolicies.Case> cases = MalformedPolicies.generate(PolicyApiFuzzTest.CASES,
                PolicyApiFuzzTest.SEED);
        for (int i = 0; i < cases.size(); i++) {
            MalformedPolicies.Case c = cases.get(i);
            Files.writeString(file, good);
            source.scan();
            Set<String> before = source.policies().keySet();
            assertEquals(Set.of("batch-without-sidecars", "proxy-sizing"), before);
            // JSON is YAML too, so a .yaml file takes both kinds of body.
            Files.write(file, c.body());
            source.scan();
            GitOpsSource.FileStatus status = source.files().get(0);
            String context = "case " + i + " (" + c.description() + ")";
            if (status.error() != null) {
                reported++;
                assertEquals(before, source.policies().keySet(), "last-known-good lost in " + context);
                assertFalse(status.error().message().isBlank(), context);
                boolean located = status.error().line() > 0 || !status.error().violations().isEmpty()
                        || status.error().message().contains("binary") || status.error().message().contains("twice")
                        || status.error().message().contains("limit");
                assertTrue(located, "error without a line or field in " + context + ": " + status.error());
            } else {
                accepted++;
                // Whatever was accepted must be a valid policy that round-trips.
                source.policies().values().forEach(e -> assertEquals(e.policy().spec(), PolicyTypes.CODEC.read(Documents
                        .parseOne(Documents.utf8(Documents.toYaml(PolicyCodec.write(e.policy()))), true)).spec()));
            }
        }
        System.out.println("gitops fuzz: " + cases.size() + " edits, " + reported + " reported as errors, "
                + accepted + " accepted as valid");
        assertTrue(reported > cases.size() / 2, "reported " + reported);
    }
}

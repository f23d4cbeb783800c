package io.meshwarden.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.model.SourceLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where each object of a manifest folder starts, for SARIF locations: documents, list items, Helm revisions. */
class ManifestSourcesTest {
    @TempDir
    Path tmp;

    @Test
    void documentsAndListItemsStartWhereTheirMappingStarts() throws IOException {
        Path file = tmp.resolve("mixed.yaml");
        Files.writeString(file, """
                # a comment first
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: List
                items:
                - apiVersion: policy/v1
                  kind: PodDisruptionBudget
                  metadata: {name: web, namespace: shop}
                  spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
                - apiVersion: autoscaling/v2
                  kind: HorizontalPodAutoscaler
                  metadata: {name: web, namespace: shop}
                  spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 3}
                """);
        ManifestDirectoryLoader.Located located = new ManifestDirectoryLoader().loadLocated(tmp);
        assertEquals(new SourceLocation(file.toString(), 2), located.sources().get("Namespace shop"));
        assertEquals(new SourceLocation(file.toString(), 9), located.sources().get("PodDisruptionBudget shop/web"));
        assertEquals(new SourceLocation(file.toString(), 13),
                located.sources().get("HorizontalPodAutoscaler shop/web"));
        assertEquals(3, located.sources().size(), "kinds the snapshot does not keep have no entry");
    }

    @Test
    void aHelmReleasePointsAtTheSecretOfItsDeployedRevision() throws IOException {
        Path dir = Path.of("examples/snapshot");
        SourceLocation at = new ManifestDirectoryLoader().loadLocated(dir).sources()
                .get("HelmRelease istio-system/istiod");
        assertEquals("examples/snapshot/helm/istiod-releases.yaml", at.file());
        List<String> lines = Files.readAllLines(Path.of(at.file()));
        // The document of revision 2 (revision 1 is superseded) names its Secret a few lines below its start.
        String head = String.join("\n", lines.subList(at.line() - 1, at.line() + 5));
        assertTrue(head.contains("sh.helm.release.v1.istiod.v2"), head);
    }
}

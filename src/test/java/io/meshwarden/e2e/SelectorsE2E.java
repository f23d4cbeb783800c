package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.policy.LabelSelector;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Set-based selectors as the API server evaluates them (the CRUD mock ignores in, notin and matchExpressions):
 * Meshwarden's own selector parser must select exactly what the server selects for the same text, and the
 * selectors the live reader sends must filter on the server.
 */
class SelectorsE2E {
    static final Map<String, Map<String, String>> OBJECTS = Map.of(
            "a", Map.of("tier", "web", "env", "prod"),
            "b", Map.of("tier", "api", "env", "staging"),
            "c", Map.of("tier", "db"),
            "d", Map.of("legacy", "true"),
            "e", Map.of());

    static KubernetesClient client;
    static String ns;

    @BeforeAll
    static void createObjects() {
        client = ControlPlane.client();
        ns = ControlPlane.namespace(client, "e2e-sel-" + ControlPlane.suffix(), Map.of());
        OBJECTS.forEach((name, labels) -> client.resource(new ConfigMapBuilder().withNewMetadata().withName(name)
                .withNamespace(ns).withLabels(labels).endMetadata().build()).create());
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns);
            client.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tier in (web,api)", "tier notin (web)", "!env", "env", "tier=db",
            "tier!=db", "tier in (web, db),!env", "env notin (prod),tier", "tier in (web,api),env!=prod",
            "tier notin (web,api,db),!legacy"})
    void meshwardensParserAgreesWithTheServer(String selector) {
        List<String> server = names(client.configMaps().inNamespace(ns).list(new ListOptionsBuilder()
                .withLabelSelector(selector).build()).getItems());
        LabelSelector parsed = LabelSelector.parse(selector);
        List<String> ours = new TreeMap<>(OBJECTS).entrySet().stream().filter(e -> parsed.matches(e.getValue()))
                .map(Map.Entry::getKey).collect(Collectors.toList());
        assertEquals(server, ours, "selector '" + selector + "'");
    }

    @Test
    void matchExpressionsAreEvaluatedByTheServer() {
        // What RolloutRunner sends when a workload's selector uses matchExpressions.
        List<String> selected = names(client.configMaps().inNamespace(ns).withLabelSelector(new LabelSelectorBuilder()
                .addNewMatchExpression().withKey("tier").withOperator("In").withValues("web", "db")
                .endMatchExpression()
                .addNewMatchExpression().withKey("env").withOperator("DoesNotExist").endMatchExpression()
                .build()).list().getItems());
        assertEquals(List.of("c"), selected);
        assertEquals(List.of("b", "c", "d", "e"), names(client.configMaps().inNamespace(ns)
                .withLabelNotIn("tier", "web").list().getItems()));
    }

    @Test
    void theHelmSelectorsOfTheLiveReaderFilterOnTheServer() {
        for (String status : List.of("superseded", "deployed", "failed")) {
            client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("release-" + status)
                    .addToLabels("owner", "helm").addToLabels("status", status).endMetadata()
                    .withType("helm.sh/release.v1").addToStringData("release", "x").build()).create();
        }
        client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("look-alike")
                .addToLabels("owner", "helm").addToLabels("status", "deployed").endMetadata()
                .withType("Opaque").build()).create();

        // The label and field selectors LiveSnapshotReader sends for Helm release Secrets.
        List<String> selected = client.secrets().inNamespace(ns).list(new ListOptionsBuilder()
                .withLabelSelector("owner=helm,status!=superseded").withFieldSelector("type=helm.sh/release.v1")
                .build()).getItems().stream().map(s -> s.getMetadata().getName()).sorted()
                .collect(Collectors.toList());
        assertEquals(List.of("release-deployed", "release-failed"), selected);
        // stringData is write-only: the server moves it into data, base64-encoded.
        assertEquals("eA==", client.secrets().inNamespace(ns).withName("release-deployed").get().getData()
                .get("release"));
        // These look like Helm releases but hold none: any later class that reads the whole cluster would (rightly)
        // fail on a deployed release it cannot decode, and the namespace's deletion is asynchronous.
        for (String status : List.of("superseded", "deployed", "failed")) {
            client.secrets().inNamespace(ns).withName("release-" + status).withGracePeriod(0).delete();
        }
        ControlPlane.await("no Helm-looking Secret left in " + ns, () -> client.secrets().inNamespace(ns)
                .withLabel("owner", "helm").withField("type", "helm.sh/release.v1").list().getItems().isEmpty());
    }

    static List<String> names(List<ConfigMap> items) {
        return items.stream().map(c -> c.getMetadata().getName()).filter(OBJECTS::containsKey).sorted()
                .collect(Collectors.toList());
    }
}

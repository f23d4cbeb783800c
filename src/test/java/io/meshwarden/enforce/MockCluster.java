package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshwarden.cluster.HelmEncoding;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;

/** A fabric8 CRUD mock server with a client that does not retry (so each refused write is one request). */
final class MockCluster implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final CountingCrudDispatcher dispatcher = new CountingCrudDispatcher();
    final KubernetesMockServer server;
    final KubernetesClient client;

    MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /** A CronJob whose pods would get a sidecar: what the injection-exclusion policy patches. */
    static String cronJob(String namespace, String name) {
        return """
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: %s, namespace: %s}
                spec:
                  schedule: "0 2 * * *"
                  jobTemplate:
                    spec:
                      template:
                        metadata: {labels: {app: %s}}
                        spec:
                          restartPolicy: OnFailure
                          containers: [{name: job, image: job}]
                """.formatted(name, namespace, name);
    }

    void apply(String yaml) {
        client.resource(yaml).create();
    }

    ClusterSnapshot read() {
        return new LiveSnapshotReader(client).read();
    }

    /** The stored object as JSON; null when absent. */
    ObjectNode get(String apiVersion, String kind, String namespace, String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace)
                .withName(name).get();
        return r == null ? null : client.getKubernetesSerialization().convertValue(r, ObjectNode.class);
    }

    void crd(String plural, String kind, String group, String version) {
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec().withGroup(group).withScope("Namespaced")
                .withNewNames().withKind(kind).withPlural(plural).withListKind(kind + "List")
                .withSingular(kind.toLowerCase()).endNames()
                .addNewVersion().withName(version).withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
    }

    /** A deployed Helm release Secret, encoded as Helm stores it (JSON, gzip, base64; the API adds base64). */
    void helmRelease(String namespace, String name, String chart, String version, String valuesYaml) {
        ObjectNode release = JSON.createObjectNode();
        release.put("name", name).put("namespace", namespace).put("version", 1);
        release.putObject("info").put("status", "deployed");
        ObjectNode c = release.putObject("chart");
        c.putObject("metadata").put("name", chart).put("version", version).put("appVersion", version);
        c.set("values", Documents.parseOne(valuesYaml.getBytes(StandardCharsets.UTF_8), true));
        release.putObject("config");
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata()
                .withName("sh.helm.release.v1." + name + ".v1").withNamespace(namespace)
                .addToLabels("owner", "helm").addToLabels("name", name).addToLabels("status", "deployed")
                .addToLabels("version", "1").endMetadata().withType("helm.sh/release.v1")
                .addToData("release", HelmEncoding.secretData(release)).build()).create();
    }

    static MeshPolicy policy(String name, String type, String mode, String parameters) {
        String yaml = "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: " + name + "}\nspec:\n"
                + "  type: " + type + "\n  mode: " + mode + "\n  parameters: " + parameters + "\n";
        return PolicyTypes.CODEC.read(Documents.parseOne(yaml.getBytes(StandardCharsets.UTF_8), true));
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

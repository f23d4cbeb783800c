package io.meshwarden.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.cluster.ClusterSnapshotBuilder;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Snapshots and policies from small YAML strings. */
public final class Fixtures {
    public static final ObjectMapper YAML = new YAMLMapper();
    public static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    public static ClusterSnapshot snapshot(String... yamlDocs) {
        ClusterSnapshotBuilder b = new ClusterSnapshotBuilder();
        try {
            for (String docs : yamlDocs) {
                MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(docs);
                while (it.hasNext()) {
                    JsonNode n = it.next();
                    if (n != null && !n.isNull() && !n.isMissingNode()) {
                        b.add(n, "test");
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.build();
    }

    public static MeshPolicy policy(String yaml) {
        return PolicyTypes.CODEC.read(Documents.parseOne(yaml.getBytes(StandardCharsets.UTF_8), true));
    }

    /** A policy named {@code name} of {@code type} with parameters and optional extra spec lines (YAML flow). */
    public static MeshPolicy policy(String name, String type, String parameters, String... specExtras) {
        StringBuilder sb = new StringBuilder();
        sb.append("apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: ").append(name)
                .append("}\nspec:\n  type: ").append(type).append("\n  parameters: ").append(parameters)
                .append('\n');
        for (String extra : specExtras) {
            sb.append("  ").append(extra).append('\n');
        }
        return policy(sb.toString());
    }

    public static String namespace(String name, String labels) {
        return namespace(name, labels, "{}");
    }

    public static String namespace(String name, String labels, String annotations) {
        return """
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: %s, labels: %s, annotations: %s}
                """.formatted(name, labels, annotations);
    }

    /** A Helm release Secret, encoded exactly as the API returns it. */
    public static String helmRelease(String namespace, String name, String chart, String version, String defaultsYaml,
            String configYaml) {
        try {
            ObjectNode release = JSON.createObjectNode();
            release.put("name", name).put("namespace", namespace).put("version", 1);
            release.putObject("info").put("status", "deployed");
            ObjectNode c = release.putObject("chart");
            ObjectNode meta = c.putObject("metadata").put("name", chart);
            if (version != null) {
                meta.put("version", version).put("appVersion", version);
            }
            c.set("values", YAML.readTree(defaultsYaml));
            release.set("config", YAML.readTree(configYaml));
            String data = io.meshwarden.cluster.HelmEncoding.secretData(release);
            return """
                    ---
                    apiVersion: v1
                    kind: Secret
                    type: helm.sh/release.v1
                    metadata:
                      name: sh.helm.release.v1.%s.v1
                      namespace: %s
                      labels: {owner: helm, name: %s, status: deployed, version: "1"}
                    data: {release: %s}
                    """.formatted(name, namespace, name, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The istiod chart with its documented defaults under {@code pilot.}. */
    public static String istiod(String version, String configYaml) {
        return helmRelease("istio-system", "istiod", "istiod", version, """
                pilot: {autoscaleEnabled: true, autoscaleMin: 1, autoscaleMax: 5, replicaCount: 1, traceSampling: 1.0}
                global:
                  proxy:
                    resources:
                      requests: {cpu: 100m, memory: 128Mi}
                      limits: {cpu: 2000m, memory: 1024Mi}
                """, configYaml);
    }

    public static String deployment(String namespace, String name, Integer replicas, String podLabels,
            String podAnnotations) {
        return """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, namespace: %s, labels: %s}
                spec:
                  %s
                  %s
                  template:
                    metadata: {labels: %s, annotations: %s}
                    spec: {containers: [{name: app, image: app}]}
                """.formatted(name, namespace, podLabels, replicas == null ? "" : "replicas: " + replicas,
                // apps/v1 requires a selector; like most charts, these select with the pod labels they set.
                podLabels.replace(" ", "").equals("{}") ? "" : "selector: {matchLabels: " + podLabels + "}",
                podLabels, podAnnotations);
    }

    public static String meshConfig(String meshYaml) {
        String indented = meshYaml.lines().map(l -> "    " + l).collect(Collectors.joining("\n"));
        return """
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: istio-system}
                data:
                  mesh: |
                %s
                """.formatted(indented);
    }

    public static List<Finding> findings(RuleOutcome o, String rule) {
        List<Finding> out = new ArrayList<>();
        for (Finding f : o.findings()) {
            if (f.rule().equals(rule)) {
                out.add(f);
            }
        }
        return out;
    }

    public static Finding only(RuleOutcome o, String rule) {
        List<Finding> f = findings(o, rule);
        assertEquals(1, f.size(), () -> "expected one " + rule + " in " + o.findings());
        return f.get(0);
    }

    public static JsonNode json(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

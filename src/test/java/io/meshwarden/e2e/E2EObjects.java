package io.meshwarden.e2e;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Objects the E2E tests create, kept small: kwok runs no containers, so images and commands are placeholders. */
final class E2EObjects {
    static final String IMAGE = "registry.example/e2e/app:1";

    private E2EObjects() {
    }

    /** A Deployment selecting {@code app=name} by matchLabels. */
    static Deployment deployment(String ns, String name, int replicas, Map<String, String> podLabels) {
        return deployment(ns, name, replicas, podLabels, Map.of(),
                new LabelSelectorBuilder().addToMatchLabels("app", name).build(), null);
    }

    /**
     * @param selector                must select {@code app=name} (pods get that label)
     * @param progressDeadlineSeconds null for the default (600)
     */
    static Deployment deployment(String ns, String name, int replicas, Map<String, String> podLabels,
            Map<String, String> podAnnotations, LabelSelector selector, Integer progressDeadlineSeconds) {
        Map<String, String> labels = new HashMap<>(podLabels);
        labels.put("app", name);
        return new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName(name).addToLabels("app", name)
                .endMetadata()
                .withNewSpec().withReplicas(replicas).withSelector(selector)
                .withProgressDeadlineSeconds(progressDeadlineSeconds)
                .withNewTemplate().withNewMetadata().withLabels(labels).withAnnotations(podAnnotations)
                .endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(IMAGE).endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    /** A policy document as a user writes it, read through the same codec as the API and GitOps. */
    static MeshPolicy policy(String name, String type, String mode, List<String> namespaces, String parameters) {
        String yaml = "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: " + name + "}\n"
                + "spec:\n  type: " + type + "\n  mode: " + mode + "\n"
                + "  target: {namespaces: {include: [" + String.join(", ", namespaces) + "]}}\n"
                + "  parameters: " + parameters + "\n";
        return PolicyTypes.CODEC.read(Documents.parseOne(yaml.getBytes(StandardCharsets.UTF_8), true));
    }

    static String proxySizingParameters() {
        return "{requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 1000m, memory: 512Mi}}";
    }
}

package io.meshwarden.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Cluster objects the API tests create in the mock server. */
public final class Workloads {
    private Workloads() {
    }

    /** A CronJob "nightly" whose pods would get a sidecar in an injected namespace (no inject label). */
    public static CronJob nightlyCronJob(String namespace) {
        return new CronJobBuilder().withNewMetadata().withName("nightly").withNamespace(namespace).endMetadata()
                .withNewSpec().withSchedule("0 2 * * *").withNewJobTemplate().withNewSpec().withNewTemplate()
                .withNewMetadata().addToLabels("app", "nightly").endMetadata().withNewSpec().addNewContainer()
                .withName("job").withImage("job").endContainer().withRestartPolicy("OnFailure").endSpec()
                .endTemplate().endSpec().endJobTemplate().endSpec().build();
    }

    /** A Deployment's YAML: {@code replicas} replicas of one container {@code app}, selected by {@code app: name}. */
    public static String deploymentYaml(String namespace, String name, int replicas) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, namespace: %s}
                spec:
                  replicas: %d
                  selector: {matchLabels: {app: %s}}
                  template:
                    metadata: {labels: {app: %s}}
                    spec: {containers: [{name: app, image: app}]}
                """.formatted(name, namespace, replicas, name, name);
    }

    /** Sets an HPA's status as its controller would after deciding on {@code desired} replicas. */
    public static void hpaDesired(KubernetesClient client, String namespace, String name, int desired) {
        client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(namespace).withName(name).editStatus(h -> {
            h.setStatus(new HorizontalPodAutoscalerStatus());
            h.getStatus().setDesiredReplicas(desired);
            h.getStatus().setCurrentReplicas(desired);
            return h;
        });
    }

    /** An injected namespace with {@code count} CronJobs like {@link #nightlyCronJob}, named job-00, job-01, ... */
    public static void injectedCronJobs(KubernetesClient client, String namespace, int count) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        for (int i = 0; i < count; i++) {
            client.batch().v1().cronjobs().inNamespace(namespace).resource(nightlyCronJob(namespace).edit()
                    .editMetadata().withName(String.format("job-%02d", i)).endMetadata().build()).create();
        }
    }
}

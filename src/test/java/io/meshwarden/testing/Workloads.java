package io.meshwarden.testing;

import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;

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
}

package io.meshwarden;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "meshwarden")
public interface MeshwardenConfig {

    Store store();

    Gitops gitops();

    Audit audit();

    Cluster cluster();

    interface Audit {
        /** Whether the scheduled audit runs (it also needs a cluster, see meshwarden.cluster.enabled). */
        @WithDefault("true")
        boolean enabled();

        /** Time between scheduled audits; a run still going when the next is due is skipped. */
        @WithDefault("5m")
        Duration interval();
    }

    interface Cluster {
        /**
         * Read a live cluster. Unset: yes when running in a pod or when a kubeconfig exists, so that the service
         * starts without a cluster on a laptop.
         */
        Optional<Boolean> enabled();

        /** Items per list request (the `limit` of paginated lists). */
        @WithDefault("500")
        int pageSize();

        @WithDefault("istio-system")
        String istioNamespace();
    }

    interface Store {
        /** Directory of the embedded file store, one YAML file per policy. */
        @WithDefault("policies")
        Path dir();
    }

    interface Gitops {
        /** Read-only directory tree of policy files kept by git; unset disables the GitOps source. */
        Optional<Path> dir();

        /** How often the GitOps tree is re-read (a scheduler expression like 2s). */
        @WithDefault("2s")
        Duration pollInterval();
    }
}

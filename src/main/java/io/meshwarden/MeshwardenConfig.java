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

package io.meshwarden.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The parts of a pod template the add-on rules read: containers (image, whether resources are set, literal
 * environment) and volumes by source. Kept only for workloads that look like an {@link Addon}, so ordinary
 * workloads cost nothing.
 *
 * @param claimTemplates names of a StatefulSet's {@code volumeClaimTemplates}: persistent volumes too
 */
public record PodDetails(List<Container> containers, List<Volume> volumes, List<String> claimTemplates) {
    public PodDetails {
        containers = containers == null ? List.of() : List.copyOf(containers);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        claimTemplates = claimTemplates == null ? List.of() : List.copyOf(claimTemplates);
    }

    /**
     * @param env      literal {@code env[].value}s
     * @param envFrom  names of {@code env[]} entries set with {@code valueFrom} (a Secret, a field): not literal
     * @param requests whether {@code resources.requests} sets anything
     * @param limits   whether {@code resources.limits} sets anything
     */
    public record Container(String name, String image, boolean requests, boolean limits, Map<String, String> env,
            Set<String> envFrom, List<String> args) {
        public Container {
            Objects.requireNonNull(name, "name");
            env = env == null ? Map.of() : Map.copyOf(env);
            envFrom = envFrom == null ? Set.of() : Set.copyOf(envFrom);
            args = args == null ? List.of() : List.copyOf(args);
        }
    }

    public enum Source {
        EMPTY_DIR, PERSISTENT_VOLUME_CLAIM, EPHEMERAL_CLAIM, CONFIG_MAP, SECRET, OTHER
    }

    /** @param reference the ConfigMap, Secret or claim a volume names; null for the others */
    public record Volume(String name, Source source, String reference) {
        public Volume {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(source, "source");
        }
    }

    public List<String> images() {
        return containers.stream().map(Container::image).filter(Objects::nonNull).toList();
    }

    /** A PVC, a generic ephemeral claim or a StatefulSet claim template: storage that outlives the pod (or could). */
    public boolean hasPersistentStorage() {
        return !claimTemplates.isEmpty()
                || volumes.stream().anyMatch(v -> v.source() == Source.PERSISTENT_VOLUME_CLAIM);
    }
}

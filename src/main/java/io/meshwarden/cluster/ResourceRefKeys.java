package io.meshwarden.cluster;

import io.meshwarden.model.HelmRelease;

/** The keys of {@link ManifestDirectoryLoader.Located#sources()}: a finding's resource, printed, finds its line. */
final class ResourceRefKeys {
    static final String HELM_PREFIX = "HelmRelease ";

    private ResourceRefKeys() {
    }

    static String of(Object trimmed) {
        if (trimmed instanceof HelmRelease r) {
            return helm(r.namespace(), r.name(), r.revision());
        }
        return ClusterSnapshotBuilder.identity(trimmed);
    }

    /** Per revision while loading: only the deployed one the snapshot keeps is looked up afterwards. */
    static String helm(String namespace, String name, int revision) {
        return HELM_PREFIX + namespace + "/" + name + "#" + revision;
    }
}

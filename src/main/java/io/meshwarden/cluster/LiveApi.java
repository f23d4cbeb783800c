package io.meshwarden.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * One list endpoint {@link LiveSnapshotReader} reads.
 *
 * @param versions      preferred first; optional APIs fall back to older versions a cluster may still serve only
 * @param namespace     null to list across all namespaces (or for cluster-scoped kinds)
 * @param labelSelector null for none
 * @param fieldSelector null for none; the server may ignore it, so {@code keep} must check the same condition
 * @param keep          applied to each item before it is converted, to skip conversion of unwanted objects
 * @param maxPageSize   0, or a bound on the page size for kinds whose objects are large
 */
record LiveApi(String group, List<String> versions, String plural, String kind, boolean namespaced,
        boolean optional, String namespace, String labelSelector, String fieldSelector,
        Predicate<GenericKubernetesResource> keep, int maxPageSize) {

    LiveApi {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(plural, "plural");
        Objects.requireNonNull(kind, "kind");
        versions = List.copyOf(versions);
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("no version for " + plural);
        }
        keep = keep == null ? r -> true : keep;
    }

    static LiveApi core(String group, String version, String plural, String kind, boolean namespaced) {
        return new LiveApi(group, List.of(version), plural, kind, namespaced, false, null, null, null, null, 0);
    }

    static LiveApi optional(String group, List<String> versions, String plural, String kind, boolean namespaced) {
        return new LiveApi(group, versions, plural, kind, namespaced, true, null, null, null, null, 0);
    }

    LiveApi in(String ns) {
        return new LiveApi(group, versions, plural, kind, namespaced, optional, ns, labelSelector, fieldSelector,
                keep, maxPageSize);
    }

    LiveApi selecting(String labels, String fields, Predicate<GenericKubernetesResource> filter) {
        return new LiveApi(group, versions, plural, kind, namespaced, optional, namespace, labels, fields, filter,
                maxPageSize);
    }

    LiveApi pagesOfAtMost(int max) {
        return new LiveApi(group, versions, plural, kind, namespaced, optional, namespace, labelSelector,
                fieldSelector, keep, max);
    }

    int pageSize(int requested) {
        return maxPageSize > 0 ? Math.min(requested, maxPageSize) : requested;
    }

    /** The name kubectl and CRDs use ({@code envoyfilters.networking.istio.io}, {@code deployments.apps}). */
    String resourceName() {
        return group.isEmpty() ? plural : plural + "." + group;
    }

    static String apiVersion(String group, String version) {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** For messages: {@code Deployment (deployments.apps/v1)}. */
    String describe(String version) {
        return kind + " (" + resourceName() + "/" + version + (namespace == null ? "" : " in " + namespace) + ")";
    }

    static boolean hasLabel(GenericKubernetesResource r, String key, String value) {
        Map<String, String> labels = r.getMetadata() == null ? null : r.getMetadata().getLabels();
        return labels != null && value.equals(labels.get(key));
    }

    static String name(GenericKubernetesResource r) {
        return r.getMetadata() == null ? null : r.getMetadata().getName();
    }
}

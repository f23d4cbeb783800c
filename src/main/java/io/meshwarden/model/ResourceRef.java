package io.meshwarden.model;

import java.util.Comparator;

/**
 * The object a finding is about or a remedy acts on.
 *
 * <p>Helm releases are not Kubernetes objects; they are named with the pseudo kind {@link #HELM_RELEASE_KIND} and
 * apiVersion {@link #HELM_API_VERSION} so that every finding has a resource of the same shape.
 *
 * @param namespace null for cluster-scoped objects (Sail {@code Istio})
 */
public record ResourceRef(String apiVersion, String kind, String namespace, String name)
        implements Comparable<ResourceRef> {
    public static final String HELM_API_VERSION = "helm.sh/v3";
    public static final String HELM_RELEASE_KIND = "HelmRelease";

    private static final Comparator<String> NULLS_FIRST = Comparator.nullsFirst(Comparator.naturalOrder());
    private static final Comparator<ResourceRef> ORDER = Comparator.comparing(ResourceRef::namespace, NULLS_FIRST)
            .thenComparing(ResourceRef::kind, NULLS_FIRST).thenComparing(ResourceRef::name, NULLS_FIRST)
            .thenComparing(ResourceRef::apiVersion, NULLS_FIRST);

    public static ResourceRef helmRelease(String namespace, String name) {
        return new ResourceRef(HELM_API_VERSION, HELM_RELEASE_KIND, namespace, name);
    }

    @Override
    public int compareTo(ResourceRef o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return kind + " " + (namespace == null ? name : namespace + "/" + name);
    }
}

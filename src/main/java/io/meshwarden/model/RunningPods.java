package io.meshwarden.model;

import java.util.Map;
import java.util.Objects;

/**
 * What a workload's running pods carry, counted when the snapshot is read: a few integers per workload instead of
 * the pods themselves (a fabric8 Pod is about 15 KB of heap; a cluster runs several per workload). Pods that have
 * finished (Succeeded, Failed) or are being deleted are not counted; pods whose owner is not a workload of the
 * snapshot are dropped.
 *
 * @param total          running pods of the workload
 * @param withProxy      of those, pods that run {@code istio-proxy}, as a container or as a native sidecar (an
 *                       init container with {@code restartPolicy: Always})
 * @param proxyRevisions of the pods with a proxy, how many each Istio revision injected ({@code default} for the
 *                       default one), from the injector's {@code sidecar.istio.io/status} annotation; pods whose
 *                       proxy names no revision (manual injection) are in no entry
 */
public record RunningPods(WorkloadKind kind, String namespace, String name, int total, int withProxy,
        Map<String, Integer> proxyRevisions) {
    public RunningPods {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (total < 0 || withProxy < 0 || withProxy > total) {
            throw new IllegalArgumentException("need 0 <= withProxy <= total, got " + withProxy + " of " + total);
        }
        proxyRevisions = proxyRevisions == null ? Map.of() : Map.copyOf(proxyRevisions);
    }

    public int withoutProxy() {
        return total - withProxy;
    }

    /** Pods with a proxy that another revision than {@code revision} injected; pods of no known revision excluded. */
    public int onOtherRevisions(String revision) {
        int n = 0;
        for (Map.Entry<String, Integer> e : proxyRevisions.entrySet()) {
            if (!e.getKey().equals(revision)) {
                n += e.getValue();
            }
        }
        return n;
    }
}

package io.meshwarden.model;

import java.util.Map;
import java.util.Objects;

/**
 * A workload trimmed to what mesh rules need. For a CronJob the pod template is
 * {@code spec.jobTemplate.spec.template}.
 *
 * @param replicas       {@code spec.replicas}; null when absent (always for DaemonSet, Job, CronJob)
 * @param proxyResources resources of the {@code istio-proxy} container; null when the template has none
 * @param proxyPlaceholder the template's {@code istio-proxy} has {@code image: auto}: a placeholder the injector
 *                         fills (the gateway chart, customized injection), not a proxy that runs as it is
 * @param selectorLabels {@code spec.selector.matchLabels}, which select the workload's pods however the template's
 *                       other labels change (version, chart); null when there is no selector or it has
 *                       {@code matchExpressions}, which matchLabels alone cannot express
 * @param pod            containers and volumes of the pod template; kept only for workloads that look like an
 *                       {@link Addon}, else null
 */
public record Workload(WorkloadKind kind, String namespace, String name, Map<String, String> labels,
        Map<String, String> annotations, Integer replicas, Map<String, String> podLabels,
        Map<String, String> podAnnotations, ProxyPlacement proxy, ProxyResources proxyResources,
        boolean proxyPlaceholder, Map<String, String> selectorLabels, PodDetails pod) {
    public Workload {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        podLabels = podLabels == null ? Map.of() : Map.copyOf(podLabels);
        podAnnotations = podAnnotations == null ? Map.of() : Map.copyOf(podAnnotations);
        proxy = proxy == null ? ProxyPlacement.NONE : proxy;
        selectorLabels = selectorLabels == null ? null : Map.copyOf(selectorLabels);
    }

    public Workload(WorkloadKind kind, String namespace, String name, Map<String, String> labels,
            Map<String, String> annotations, Integer replicas, Map<String, String> podLabels,
            Map<String, String> podAnnotations, ProxyPlacement proxy, ProxyResources proxyResources,
            boolean proxyPlaceholder, Map<String, String> selectorLabels) {
        this(kind, namespace, name, labels, annotations, replicas, podLabels, podAnnotations, proxy, proxyResources,
                proxyPlaceholder, selectorLabels, null);
    }

    public boolean hasIstioProxy() {
        return proxy != ProxyPlacement.NONE;
    }

    public boolean hasNativeSidecar() {
        return proxy == ProxyPlacement.NATIVE_SIDECAR;
    }

    /** For messages: {@code Deployment shop/cart}. */
    public String ref() {
        return kind.kindName() + " " + namespace + "/" + name;
    }
}

package io.meshwarden.model;

/**
 * Where a pod template carries {@code istio-proxy}. Templates normally have none: the injector adds the proxy when the
 * pod is created, so this only shows manual injection ({@code istioctl kube-inject}) or rendered pods.
 */
public enum ProxyPlacement {
    NONE,
    /** A regular container. */
    CONTAINER,
    /** An init container with {@code restartPolicy: Always} (Kubernetes native sidecar, Istio's default from 1.27). */
    NATIVE_SIDECAR
}

package io.meshwarden.model;

/**
 * A node trimmed to what Istio's injector reads of it: with {@code ENABLE_NATIVE_SIDECARS=auto} (the default from
 * Istio 1.27) native sidecars are used only when every node's kubelet is 1.33 or newer.
 *
 * @param kubeletVersion {@code status.nodeInfo.kubeletVersion}, e.g. {@code v1.33.2}; null when not reported
 */
public record Node(String name, String kubeletVersion) {
}

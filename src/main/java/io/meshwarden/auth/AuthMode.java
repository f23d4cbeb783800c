package io.meshwarden.auth;

import java.util.Map;

public enum AuthMode {
    AUTO, KUBERNETES, TOKENS, NONE;

    /** auto becomes kubernetes inside a pod (the kubelet sets KUBERNETES_SERVICE_HOST there), else tokens. */
    AuthMode resolve(Map<String, String> env) {
        if (this != AUTO) {
            return this;
        }
        String host = env.get("KUBERNETES_SERVICE_HOST");
        return host != null && !host.isBlank() ? KUBERNETES : TOKENS;
    }
}

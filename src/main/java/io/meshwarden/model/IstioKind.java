package io.meshwarden.model;

import java.util.Optional;

/** Istio resources kept generically. The group is part of the identity: Gateway API also has a {@code Gateway}. */
public enum IstioKind {
    ENVOY_FILTER("networking.istio.io", "EnvoyFilter"),
    GATEWAY("networking.istio.io", "Gateway"),
    VIRTUAL_SERVICE("networking.istio.io", "VirtualService"),
    TELEMETRY("telemetry.istio.io", "Telemetry"),
    /** Sail operator's cluster-scoped {@code Istio}. */
    SAIL_ISTIO("sailoperator.io", "Istio"),
    ISTIO_OPERATOR("install.istio.io", "IstioOperator");

    private final String group;
    private final String kindName;

    IstioKind(String group, String kindName) {
        this.group = group;
        this.kindName = kindName;
    }

    public String group() {
        return group;
    }

    public String kindName() {
        return kindName;
    }

    public static Optional<IstioKind> of(String group, String kind) {
        for (IstioKind k : values()) {
            if (k.group.equals(group) && k.kindName.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}

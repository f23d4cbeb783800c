package io.meshwarden.model;

import java.util.Optional;

/** Istio resources kept generically. The group is part of the identity: Gateway API also has a {@code Gateway}. */
public enum IstioKind implements GroupKind.Of {
    ENVOY_FILTER("networking.istio.io/EnvoyFilter"),
    GATEWAY("networking.istio.io/Gateway"),
    VIRTUAL_SERVICE("networking.istio.io/VirtualService"),
    TELEMETRY("telemetry.istio.io/Telemetry"),
    /** Sail operator's cluster-scoped {@code Istio}. */
    SAIL_ISTIO("sailoperator.io/Istio"),
    ISTIO_OPERATOR("install.istio.io/IstioOperator");

    private final GroupKind groupKind;

    /** @param groupKind {@code <group>/<Kind>} */
    IstioKind(String groupKind) {
        int slash = groupKind.indexOf('/');
        this.groupKind = new GroupKind(groupKind.substring(0, slash), groupKind.substring(slash + 1));
    }

    public GroupKind groupKind() {
        return groupKind;
    }

    public static Optional<IstioKind> of(String group, String kind) {
        return GroupKind.find(values(), k -> k.group().equals(group) && k.kindName().equals(kind));
    }
}

package io.meshwarden.model;

import java.util.Optional;

/**
 * Custom resources of operators the add-on and monitoring rules read. Every one is optional: a cluster without the
 * CRD simply has none.
 */
public enum OperatorKind implements GroupKind.Of {
    SERVICE_MONITOR("monitoring.coreos.com/ServiceMonitor"),
    POD_MONITOR("monitoring.coreos.com/PodMonitor"),
    PROMETHEUS_RULE("monitoring.coreos.com/PrometheusRule"),
    /** The Kiali operator's {@code Kiali}: its {@code spec.auth.strategy} wins over any ConfigMap. */
    KIALI("kiali.io/Kiali");

    private final GroupKind groupKind;

    OperatorKind(String groupKind) {
        int slash = groupKind.indexOf('/');
        this.groupKind = new GroupKind(groupKind.substring(0, slash), groupKind.substring(slash + 1));
    }

    public GroupKind groupKind() {
        return groupKind;
    }

    public static Optional<OperatorKind> of(String group, String kind) {
        return GroupKind.find(values(), k -> k.group().equals(group) && k.kindName().equals(kind));
    }
}

package io.meshwarden.model;

import java.util.Optional;

/** Workload kinds whose pod template the rules inspect, with the API group each must come from. */
public enum WorkloadKind {
    DEPLOYMENT("Deployment", "apps"),
    STATEFUL_SET("StatefulSet", "apps"),
    DAEMON_SET("DaemonSet", "apps"),
    JOB("Job", "batch"),
    CRON_JOB("CronJob", "batch");

    private final String kindName;
    private final String group;

    WorkloadKind(String kindName, String group) {
        this.kindName = kindName;
        this.group = group;
    }

    /** The Kubernetes {@code kind}, e.g. {@code StatefulSet}. */
    public String kindName() {
        return kindName;
    }

    public String group() {
        return group;
    }

    /**
     * The group is checked because other projects reuse these kind names (Volcano has a {@code batch.volcano.sh}
     * Job); {@code extensions} is accepted because old dumps still carry it for apps kinds.
     */
    public static Optional<WorkloadKind> of(String group, String kind) {
        for (WorkloadKind k : values()) {
            if (k.kindName.equals(kind)
                    && (k.group.equals(group) || (k.group.equals("apps") && "extensions".equals(group)))) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    public static Optional<WorkloadKind> ofKindName(String kind) {
        for (WorkloadKind k : values()) {
            if (k.kindName.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /**
     * Deployments, StatefulSets and DaemonSets. Jobs and CronJobs are not: their sidecars live minutes, and their
     * templates are immutable, so sizing and sampling rules leave them out.
     */
    public boolean longRunning() {
        return this != JOB && this != CRON_JOB;
    }
}

package io.meshwarden.model;

import java.util.Optional;

/** Workload kinds whose pod template the rules inspect, with the API group each must come from. */
public enum WorkloadKind implements GroupKind.Of {
    DEPLOYMENT("Deployment", "apps"),
    STATEFUL_SET("StatefulSet", "apps"),
    DAEMON_SET("DaemonSet", "apps"),
    JOB("Job", "batch"),
    CRON_JOB("CronJob", "batch");

    private final GroupKind groupKind;

    WorkloadKind(String kindName, String group) {
        this.groupKind = new GroupKind(group, kindName);
    }

    public GroupKind groupKind() {
        return groupKind;
    }

    /**
     * The group is checked because other projects reuse these kind names (Volcano has a {@code batch.volcano.sh}
     * Job); {@code extensions} is accepted because old dumps still carry it for apps kinds.
     */
    public static Optional<WorkloadKind> of(String group, String kind) {
        return GroupKind.find(values(), k -> k.kindName().equals(kind)
                && (k.group().equals(group) || (k.group().equals("apps") && "extensions".equals(group))));
    }

    public static Optional<WorkloadKind> ofKindName(String kind) {
        return GroupKind.find(values(), k -> k.kindName().equals(kind));
    }

    /**
     * Deployments, StatefulSets and DaemonSets. Jobs and CronJobs are not: their sidecars live minutes, and their
     * templates are immutable, so sizing and sampling rules leave them out.
     */
    public boolean longRunning() {
        return this != JOB && this != CRON_JOB;
    }

    /** Where the pod template sits in a workload of this kind, for paths and patches. */
    public String templatePath() {
        return this == CRON_JOB ? "spec.jobTemplate.spec.template" : "spec.template";
    }
}

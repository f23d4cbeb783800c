package io.meshwarden.enforce;

import io.meshwarden.auth.AuditLog;

/** The audit line of each object a run writes; kept out of {@link Applier} so that it stays about applying. */
final class ChangeAudit {
    private ChangeAudit() {
    }

    /**
     * Writes (and failed writes, which may have landed) are audited; dry runs, unchanged and skipped objects, and
     * changes stopped before any write (null) changed nothing.
     */
    static void record(ApplyResult.Outcome o) {
        if (o == null) {
            return;
        }
        boolean applied = o.status() == ApplyResult.Status.APPLIED;
        if (!applied && !(o.status() == ApplyResult.Status.FAILED && o.attempts() > 0)) {
            return;
        }
        String operation = o.operation() != null ? o.operation() : o.change().action();
        // A patch carries the resourceVersion it was read at: the version the change replaced.
        String before = o.sent() == null ? null : o.sent().path("metadata").path("resourceVersion").asText(null);
        AuditLog.cluster("cluster." + operation, o.change().target().toString(),
                Change.CREATE.equals(operation) ? null : before, o.resourceVersion(), o.change().id(),
                o.change().policies(), applied ? "applied" : "failed: " + o.detail());
    }
}

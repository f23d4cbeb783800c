package io.meshwarden.policies.workloadha;

import io.meshwarden.evaluate.Remedy;

/**
 * WorkloadHa changes no application object: its replica counts and PDBs belong to their owners (a chart, a GitOps
 * repository), which would revert a patch or fight it. The fix is handed on as advice, with the exact change.
 */
final class Advice {
    static final String REPORT_ONLY = "Report-only: WorkloadHa changes no application object.";

    private Advice() {
    }

    /** The change {@code r} would make, as a {@code none} remedy that names it. */
    static Remedy of(Remedy r) {
        String change = r.action() + " " + r.target().kind() + " " + r.target().namespace() + "/" + r.target().name()
                + (r.patch() == null ? "" : " with " + r.patch());
        return Remedy.none(r.target(), REPORT_ONLY + " The fix: " + change + ". " + r.note());
    }
}

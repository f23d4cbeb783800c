package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** What {@link Applier#apply} did with each change of a plan, in plan order. */
public record ApplyResult(boolean dryRun, List<Outcome> outcomes) {
    public ApplyResult {
        outcomes = List.copyOf(outcomes);
    }

    public enum Status {
        /** Written. */
        APPLIED,
        /** Dry run: would have been written as {@link Outcome#sent()}. */
        WOULD_APPLY,
        /** The object already is as the change wants it; nothing was sent. */
        UNCHANGED,
        /** Deliberately not written; see {@link Outcome#detail()}. */
        SKIPPED,
        /** The API server refused or failed; see {@link Outcome#detail()}. */
        FAILED
    }

    /**
     * @param operation       what was (or would be) sent: {@code patch}, {@code create} or {@code delete}; null
     *                        when nothing
     * @param sent            the merge patch or object sent (to be sent, for a dry run); for a delete, the object
     *                        as it was before (what a revert re-creates); null when nothing
     * @param revertPatch     for a patch: a merge patch that restores the prior value of every field the patch
     *                        touched, null for fields that were absent. Null for a create (revert by deleting the
     *                        object, which carries the managed-by label) and for a delete (revert by re-creating
     *                        {@code sent})
     * @param resourceVersion of the object after the write; null when nothing was written
     * @param attempts        write requests sent for this change (2 after a conflict)
     * @param eventError      null, or why the Event recording the write could not be created
     */
    public record Outcome(Change change, Status status, String operation, JsonNode sent, JsonNode revertPatch,
            String resourceVersion, int attempts, String detail, String eventError) {
    }

    public List<Outcome> withStatus(Status status) {
        List<Outcome> out = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.status() == status) {
                out.add(o);
            }
        }
        return List.copyOf(out);
    }

    public List<Outcome> applied() {
        return withStatus(Status.APPLIED);
    }

    public List<Outcome> unchanged() {
        return withStatus(Status.UNCHANGED);
    }

    public List<Outcome> skipped() {
        return withStatus(Status.SKIPPED);
    }

    public List<Outcome> failed() {
        return withStatus(Status.FAILED);
    }

    /** The outcome of the change with this id; throws when the plan had no such change. */
    public Outcome of(String changeId) {
        for (Outcome o : outcomes) {
            if (o.change().id().equals(changeId)) {
                return o;
            }
        }
        throw new IllegalArgumentException("no change " + changeId);
    }
}

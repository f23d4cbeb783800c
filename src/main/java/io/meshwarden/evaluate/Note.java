package io.meshwarden.evaluate;

import java.util.Comparator;

/**
 * Something an audit could not check, said out loud so that a clean result is not mistaken for a complete one: a
 * score of 100% over no policies, no istiod, or a target that selects nothing is no evidence of anything. Notes are
 * not findings (nothing is wrong with an object) and do not count as checks; a CI job decides with
 * {@code --fail-on note} whether they fail it.
 *
 * @param code    stable kebab-case id, one of the constants here
 * @param policy  the policy it is about; null for the whole audit
 */
public record Note(String code, String policy, String message) {
    public static final String NO_POLICIES = "no-policies";
    public static final String NO_ISTIOD = "no-istiod";
    public static final String NO_HELM_RELEASE = "no-helm-release";
    public static final String TARGET_SELECTS_NOTHING = "target-selects-nothing";
    /** A policy reads running pods and the snapshot has none (a manifest folder of templates only). */
    public static final String NO_RUNNING_PODS = "no-running-pods";
    /** A workload's expected revision names no installed istiod revision (likely a revision tag). */
    public static final String UNRESOLVED_REVISION = "unresolved-revision";

    /** Audit-wide notes first, then by policy, code and message. */
    public static final Comparator<Note> ORDER = Comparator.comparing(Note::policy,
            Comparator.nullsFirst(Comparator.<String>naturalOrder())).thenComparing(Note::code)
            .thenComparing(Note::message);

    /** One line for every text form: {@code note[code] policy: message}. */
    public String line() {
        return "note[" + code + "] " + (policy == null ? "" : policy + ": ") + message;
    }
}

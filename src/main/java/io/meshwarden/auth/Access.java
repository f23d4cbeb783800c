package io.meshwarden.auth;

/**
 * What one API request asks to do, in the terms of a SubjectAccessReview on meshpolicies.meshwarden.io.
 *
 * @param verb        get, list, create, update or delete
 * @param name        the policy the request is about, or null
 * @param enforcement the request changes the cluster (an enforcing run, a revert): it is checked on the subresource
 *                    {@value #SUBRESOURCE}, so that RBAC can grant policy editing without cluster changes
 * @param operation   what the request does, for the audit log: policy.create, run.start, ...
 */
public record Access(String verb, String name, boolean enforcement, String operation) {
    public static final String GROUP = "meshwarden.io";
    public static final String RESOURCE = "meshpolicies";
    public static final String SUBRESOURCE = "enforce";

    public boolean readOnly() {
        return "get".equals(verb) || "list".equals(verb);
    }

    /** For 403 answers: "update meshpolicies.meshwarden.io/enforce", with the policy name when there is one. */
    public String describe() {
        return verb + " " + RESOURCE + "." + GROUP + (enforcement ? "/" + SUBRESOURCE : "")
                + (name == null ? "" : " \"" + name + "\"");
    }
}

package io.meshwarden.auth;

import java.util.Locale;

/** The roles of the tokens file; in a cluster, RBAC on meshpolicies.meshwarden.io plays their part. */
public enum Role {
    /** Reads everything. */
    VIEWER,
    /** Reads, changes policies, runs audits and dry runs. */
    EDITOR,
    /** Also changes the cluster: enforcing runs and reverts. */
    ADMIN;

    boolean allows(Access access) {
        switch (this) {
            case ADMIN:
                return true;
            case EDITOR:
                return !access.enforcement();
            default:
                return !access.enforcement() && access.readOnly();
        }
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role of a wire name, or null. */
    static Role parse(String wire) {
        for (Role r : values()) {
            if (r.wire().equals(wire)) {
                return r;
            }
        }
        return null;
    }
}

package io.meshwarden.auth;

import java.util.List;
import java.util.Map;

/**
 * Who made a request: from a TokenReview (user, uid, groups, extra) or the tokens file (name and role).
 *
 * @param role the tokens-file role; null for cluster users, whose rights RBAC decides
 */
public record Caller(String user, String uid, List<String> groups, Map<String, List<String>> extra, Role role) {
    /** The caller when meshwarden.auth.mode=none. */
    public static final Caller ANONYMOUS = new Caller("anonymous", null, List.of(), Map.of(), null);
    /** Who starts scheduled runs. Token names cannot contain ':', so no token can pose as it. */
    public static final Caller SCHEDULER = new Caller("system:meshwarden:scheduler", null, List.of(), Map.of(), null);

    public Caller {
        groups = groups == null ? List.of() : List.copyOf(groups);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    static Caller ofToken(String name, Role role) {
        return new Caller(name, null, List.of(), Map.of(), role);
    }
}

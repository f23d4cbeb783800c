package io.meshwarden.ui;

import io.meshwarden.auth.AuthSetup;
import io.meshwarden.auth.Caller;
import jakarta.enterprise.context.RequestScoped;
import java.util.List;

/**
 * Who is looking at the page being served, set by {@link DashboardFilter}; answers what they may read and do in the
 * API's own terms (the route each page reads or each button calls), so that a page shows only what the token's
 * role may read and offers only what it may do.
 */
@RequestScoped
public class Viewer {
    private final AuthSetup auth;
    private Sessions.Session session;
    private Caller caller;
    private String newSessionCookie;

    public Viewer(AuthSetup auth) {
        this.auth = auth;
    }

    void set(Sessions.Session session, Caller caller) {
        this.session = session;
        this.caller = caller;
    }

    /** A session made for this request (authentication off): its cookie goes out with the answer. */
    void issueCookie(String sessionId) {
        this.newSessionCookie = sessionId;
    }

    String newSessionCookie() {
        return newSessionCookie;
    }

    public Sessions.Session session() {
        return session;
    }

    public Caller caller() {
        return caller;
    }

    /** Whether the API would let this caller make the request {@code method path} (dry run when dryRun). */
    public boolean may(String method, String path, boolean dryRun) {
        return auth.permits(caller, method, path, dryRun ? List.of("true") : null, false);
    }

    /**
     * Refuses with 403 when the caller may not make the API request the action stands for (logged as the API logs
     * it), or when the form's CSRF token is not the session's.
     */
    public void requireAction(String csrf, String method, String path, boolean dryRun) {
        if (session == null || !session.csrfMatches(csrf)) {
            throw new PageException(403, "Refused", "the form's CSRF token is missing or not this session's; "
                    + "reload the page and try again");
        }
        if (!auth.permits(caller, method, path, dryRun ? List.of("true") : null, true)) {
            throw new PageException(403, "Forbidden", "user \"" + caller.user() + "\" may not do this"
                    + (caller.role() != null ? " (role " + caller.role().wire() + ")" : ""));
        }
    }

    /** Refuses with 403 when the caller may not read what the API route {@code path} serves. */
    public void requireRead(String path) {
        if (!may("GET", path, false)) {
            throw new PageException(403, "Forbidden", "user \"" + caller.user() + "\" may not read this page"
                    + (caller.role() != null ? " (role " + caller.role().wire() + ")" : ""));
        }
    }

    /** The header's data: who, with which role, and the CSRF token for the logout form. */
    public Nav nav(String page) {
        String role = caller.role() != null ? caller.role().wire() : (auth.open() ? "authentication off" : "RBAC");
        return new Nav(page, caller.user(), role, session.csrf(), !auth.open());
    }
}

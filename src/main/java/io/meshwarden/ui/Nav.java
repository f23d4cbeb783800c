package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;

/**
 * The header of every page: the page (for the current link), who is logged in with which role, and the session's
 * CSRF token for the logout form.
 *
 * @param logout whether there is anything to log out of (authentication is on)
 */
@TemplateData
public record Nav(String page, String user, String role, String csrf, boolean logout) {
    public boolean is(String p) {
        return page.equals(p);
    }
}

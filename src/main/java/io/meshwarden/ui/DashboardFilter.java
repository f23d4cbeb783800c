package io.meshwarden.ui;

import io.meshwarden.auth.ApiRoutes;
import io.meshwarden.auth.AuthSetup;
import io.meshwarden.auth.Caller;
import io.meshwarden.auth.ReviewUnavailable;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * The dashboard's gate, in front of every page (the API's {@code AuthFilter} leaves them to it): a session cookie
 * whose bearer token is authenticated again on each request, cross-site posts refused by their Origin and
 * Sec-Fetch-Site headers before anything else, and the headers every page carries (a strict Content-Security-Policy:
 * no inline script or style anywhere, no framing, no caching). Each action checks its own CSRF token and access
 * through {@link Viewer#requireAction}.
 */
public class DashboardFilter {
    static final String COOKIE = "mw_session";
    static final String LOGIN = "/login";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final Sessions sessions;
    private final AuthSetup auth;
    private final Viewer viewer;

    public DashboardFilter(Sessions sessions, AuthSetup auth, Viewer viewer) {
        this.sessions = sessions;
        this.auth = auth;
        this.viewer = viewer;
    }

    @ServerRequestFilter(priority = Priorities.AUTHORIZATION + 10)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!ApiRoutes.dashboard(path)) {
            return null;
        }
        boolean change = !"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod());
        if (change && crossSite(request)) {
            return Pages.error(403, "Refused", "a form posted from another site is refused");
        }
        if (path.equals(LOGIN)) {
            return null;
        }
        Cookie cookie = request.getCookies().get(COOKIE);
        Optional<Sessions.Session> found = sessions.find(cookie == null ? null : cookie.getValue());
        if (auth.open()) {
            // No login without authentication, as the API; a session still carries the forms' CSRF token.
            Sessions.Session s = found.orElseGet(() -> sessions.create(null, Caller.ANONYMOUS));
            if (found.isEmpty()) {
                viewer.issueCookie(s.id());
            }
            viewer.set(s, Caller.ANONYMOUS);
            return null;
        }
        if (found.isEmpty()) {
            return change ? Pages.error(403, "Refused", "no session: log in first")
                    : Response.seeOther(URI.create(LOGIN)).build();
        }
        Sessions.Session s = found.get();
        Caller caller;
        try {
            caller = auth.authenticate(s.token());
        } catch (ReviewUnavailable e) {
            return Pages.error(503, "Authorization unavailable", "the request cannot be checked now: "
                    + e.getMessage() + "; retry later");
        }
        if (caller == null) {
            sessions.remove(s.id());
            return Response.seeOther(URI.create(LOGIN + "?ended=1")).cookie(expired()).build();
        }
        viewer.set(s, caller);
        return null;
    }

    @ServerResponseFilter
    public void headers(ContainerRequestContext request, ContainerResponseContext response) {
        if (!ApiRoutes.dashboard(request.getUriInfo().getPath())) {
            return;
        }
        MultivaluedMap<String, Object> h = response.getHeaders();
        h.putSingle("Content-Security-Policy", CSP);
        h.putSingle("X-Frame-Options", "DENY");
        h.putSingle("X-Content-Type-Options", "nosniff");
        // Not no-referrer: with it Chromium sends "Origin: null" on the pages' own posts.
        h.putSingle("Referrer-Policy", "same-origin");
        h.putSingle(HttpHeaders.CACHE_CONTROL, "no-store");
        String issued = viewer.newSessionCookie();
        if (issued != null) {
            h.add(HttpHeaders.SET_COOKIE, session(issued));
        }
    }

    /**
     * A browser names the page a form was posted from: Sec-Fetch-Site (every current browser) and Origin. A client
     * that sends neither (curl) is not a browser another site could steer; the CSRF token still applies.
     */
    static boolean crossSite(ContainerRequestContext request) {
        String site = request.getHeaderString("Sec-Fetch-Site");
        if (site != null) {
            return !site.equals("same-origin");
        }
        String origin = request.getHeaderString("Origin");
        if (origin == null) {
            return false;
        }
        String host = request.getHeaderString(HttpHeaders.HOST);
        return host == null || !(origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    /** HttpOnly: no script reads it; Secure: never over plain HTTP but to localhost; Strict: no cross-site use. */
    static NewCookie session(String id) {
        return new NewCookie.Builder(COOKIE).value(id).path("/").httpOnly(true).secure(true)
                .sameSite(NewCookie.SameSite.STRICT).build();
    }

    static NewCookie expired() {
        return new NewCookie.Builder(COOKIE).value("").path("/").httpOnly(true).secure(true)
                .sameSite(NewCookie.SameSite.STRICT).maxAge(0).build();
    }
}

package io.meshwarden.ui;

import io.meshwarden.auth.AuthSetup;
import io.meshwarden.auth.Caller;
import io.meshwarden.auth.ReviewUnavailable;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import org.jboss.logging.Logger;

/**
 * Login with a bearer token (a tokens-file token, or a Kubernetes token where the service checks those), and
 * logout. The login form has its own CSRF token (a short-lived cookie and a hidden field that must match), so that
 * another site cannot log a browser in under the attacker's token.
 */
@Path("/")
@Blocking
@Produces(MediaType.TEXT_HTML)
public class LoginResource {
    private static final Logger LOG = Logger.getLogger(LoginResource.class);
    static final String LOGIN_COOKIE = "mw_login";
    /** Tokens are at most a few KB (a projected service-account token is about 1 KB). */
    private static final int MAX_TOKEN = 16 * 1024;

    private final AuthSetup auth;
    private final Sessions sessions;

    public LoginResource(AuthSetup auth, Sessions sessions) {
        this.auth = auth;
        this.sessions = sessions;
    }

    @GET
    @Path("login")
    public Response form(@QueryParam("ended") String ended) {
        if (auth.open()) {
            return Response.seeOther(URI.create("/")).build();
        }
        return form(ended != null ? "Your session ended: the token is no longer valid. Log in again." : null, 200);
    }

    private Response form(String message, int status) {
        String loginCsrf = sessions.randomId();
        return Response.status(status).entity(Pages.Templates.login(loginCsrf, message).render())
                .cookie(loginCookie(loginCsrf, 600)).build();
    }

    @POST
    @Path("login")
    public Response login(@FormParam("token") String token, @FormParam("csrf") String csrf,
            @CookieParam(LOGIN_COOKIE) String expected) {
        if (auth.open()) {
            return Response.seeOther(URI.create("/")).build();
        }
        if (expected == null || csrf == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                csrf.getBytes(StandardCharsets.UTF_8))) {
            throw new PageException(403, "Refused", "the login form's CSRF token is missing or does not match; "
                    + "open the login page again");
        }
        String t = token == null ? "" : token.strip();
        if (t.isEmpty() || t.length() > MAX_TOKEN || t.chars().anyMatch(Character::isWhitespace)) {
            return form("Paste a bearer token: one line, no spaces.", 400);
        }
        Caller caller;
        try {
            caller = auth.authenticate(t);
        } catch (ReviewUnavailable e) {
            throw new PageException(503, "Authorization unavailable", "the token cannot be checked now: "
                    + e.getMessage() + "; retry later");
        }
        if (caller == null) {
            return form("That token is not valid (unknown, expired or revoked).", 401);
        }
        Sessions.Session s = sessions.create(t, caller);
        LOG.infof("dashboard login: user %s", caller.user());
        return Response.seeOther(URI.create("/")).cookie(DashboardFilter.session(s.id()), loginCookie("", 0))
                .build();
    }

    @POST
    @Path("logout")
    public Response logout(@FormParam("csrf") String csrf, @CookieParam(DashboardFilter.COOKIE) String id) {
        sessions.find(id).ifPresent(s -> {
            if (!s.csrfMatches(csrf)) {
                throw new PageException(403, "Refused", "the form's CSRF token is missing or not this session's");
            }
            sessions.remove(s.id());
        });
        return Response.seeOther(URI.create(auth.open() ? "/" : "/login")).cookie(DashboardFilter.expired()).build();
    }

    private static NewCookie loginCookie(String value, int maxAge) {
        return new NewCookie.Builder(LOGIN_COOKIE).value(value).path("/login").httpOnly(true).secure(true)
                .sameSite(NewCookie.SameSite.STRICT).maxAge(maxAge).build();
    }
}

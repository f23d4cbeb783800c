package io.meshwarden.auth;

import io.meshwarden.http.Problem;
import io.meshwarden.policy.Documents;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every request to a REST resource of the API (under /api) needs a bearer token that may do what the
 * request asks: 401 without a valid token, 403 when it may not, 503 when the API server cannot tell. Health,
 * metrics and the OpenAPI document are not REST resources and never reach these filters.
 */
public class AuthFilter {
    static final String CHALLENGE = "Bearer realm=\"meshwarden\"";

    private final AuthSetup auth;
    private final CurrentCaller current;

    public AuthFilter(AuthSetup auth, CurrentCaller current) {
        this.auth = auth;
        this.current = current;
    }

    /**
     * Before routing, so that unknown paths and methods under /api answer 401 rather than 404 or 405 to a caller
     * without a valid token. The header is looked at on the event loop; a request that routing will not hand to
     * {@link #authorize} (an unknown path or method, OPTIONS, which JAX-RS answers by itself) has its token checked
     * here, on a worker thread since a TokenReview blocks.
     */
    @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION)
    public Uni<Response> requireToken(ContainerRequestContext request) {
        if (auth.open() || !ApiRoutes.guarded(request.getUriInfo().getPath())) {
            return Uni.createFrom().nullItem();
        }
        String token = bearer(request);
        if (token == null) {
            return Uni.createFrom().item(unauthorized(request, "send a bearer token: Authorization: Bearer <token>",
                    false));
        }
        Access access = ApiRoutes.access(request.getMethod(), request.getUriInfo().getPath(), null);
        if (!ApiRoutes.UNKNOWN.equals(access.operation()) && !"OPTIONS".equals(request.getMethod())) {
            return Uni.createFrom().nullItem();
        }
        return Uni.createFrom().item(() -> {
            try {
                return auth.authenticator().authenticate(token) == null ? unauthorized(request,
                        "the bearer token is not valid (unknown, expired or revoked)", true) : null;
            } catch (ReviewUnavailable e) {
                return problem(request, 503, "authorization-unavailable", "Authorization unavailable",
                        "the request cannot be checked now: " + e.getMessage() + "; retry later");
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    /**
     * After routing, on the worker thread of the (blocking) resource method, since a TokenReview or
     * SubjectAccessReview is a blocking call. Every matched request is checked, whatever its path, but for the
     * dashboard's pages, which io.meshwarden.ui.DashboardFilter checks.
     */
    @ServerRequestFilter(priority = Priorities.AUTHORIZATION)
    public Response authorize(ContainerRequestContext request) {
        if (auth.open()) {
            current.set(Caller.ANONYMOUS);
            return null;
        }
        if (ApiRoutes.dashboard(request.getUriInfo().getPath())) {
            // The dashboard's pages carry a session cookie, not a bearer token: io.meshwarden.ui.DashboardFilter
            // checks it (with this class's authenticator) and each action's access.
            return null;
        }
        String token = bearer(request);
        if (token == null) {
            return unauthorized(request, "send a bearer token: Authorization: Bearer <token>", false);
        }
        String method = request.getMethod();
        String path = request.getUriInfo().getPath();
        Access access = ApiRoutes.access(method, path, request.getUriInfo().getQueryParameters().get("dryRun"));
        try {
            Caller caller = auth.authenticator().authenticate(token);
            if (caller == null) {
                return unauthorized(request, "the bearer token is not valid (unknown, expired or revoked)", true);
            }
            if (!auth.authenticator().authorize(caller, access)) {
                if (!access.readOnly()) {
                    AuditLog.denied(caller, access, method, path);
                }
                return problem(request, 403, "forbidden", "Forbidden", "user \"" + caller.user() + "\" may not "
                        + access.describe() + (caller.role() != null ? " (role " + caller.role().wire() + ")"
                                : ""));
            }
            current.set(caller);
            return null;
        } catch (ReviewUnavailable e) {
            return problem(request, 503, "authorization-unavailable", "Authorization unavailable",
                    "the request cannot be checked now: " + e.getMessage() + "; retry later");
        }
    }

    /** The token of the one Authorization header with the Bearer scheme (any case), or null. */
    static String bearer(ContainerRequestContext request) {
        List<String> values = request.getHeaders().get(HttpHeaders.AUTHORIZATION);
        if (values == null || values.size() != 1) {
            return null;
        }
        String v = values.get(0).strip();
        int space = v.indexOf(' ');
        if (space < 0 || !v.substring(0, space).equalsIgnoreCase("Bearer")) {
            return null;
        }
        String token = v.substring(space + 1).strip();
        return token.isEmpty() || token.chars().anyMatch(Character::isWhitespace) ? null : token;
    }

    private static Response unauthorized(ContainerRequestContext request, String detail, boolean invalid) {
        Response r = problem(request, 401, "unauthorized", "Unauthorized", detail);
        // RFC 6750: error="invalid_token" tells a client to get a new token rather than add a missing one.
        return Response.fromResponse(r).header(HttpHeaders.WWW_AUTHENTICATE, CHALLENGE
                + (invalid ? ", error=\"invalid_token\"" : "")).build();
    }

    private static Response problem(ContainerRequestContext request, int status, String slug, String title,
            String detail) {
        Problem p = Problem.of(status, slug, title, detail, request.getUriInfo().getPath());
        return Response.status(status).type(Problem.MEDIA_TYPE).entity(Documents.toJson(p)).build();
    }
}

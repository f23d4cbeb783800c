package io.meshwarden.api;

import io.meshwarden.Refusal;
import io.meshwarden.cluster.LiveReadException;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.http.Problem;
import io.meshwarden.policy.DocumentSyntaxException;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.PolicyValidationException;
import io.meshwarden.policy.Violation;
import io.meshwarden.store.StoreException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Turns every failure into an RFC 7807 body. Client mistakes keep their 4xx status and say which field and why;
 * only genuine server faults are 5xx, and those never echo internals.
 */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @Context
    UriInfo uriInfo;

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof ApiException a) {
            return problem(a.status(), a.slug(), a.title(), a.getMessage(), a.violations());
        }
        if (e instanceof PolicyValidationException v) {
            String detail = v.omitted() == 0 ? v.total() + " field(s) are invalid; see violations"
                    : v.total() + " field(s) are invalid; the first " + v.violations().size()
                            + " are listed in violations, " + v.omitted() + " more are not";
            return problem(422, "invalid-policy", "Invalid policy", detail, v.violations(),
                    v.omitted() == 0 ? null : v.omitted());
        }
        if (e instanceof DocumentSyntaxException s) {
            String where = s.line() > 0 ? " (line " + s.line() + (s.column() > 0 ? ", column " + s.column() : "")
                    + ")" : "";
            return problem(400, "malformed-document", "Malformed document", s.getMessage() + where,
                    List.of(new Violation("", s.getMessage() + where)));
        }
        if (e instanceof StoreException se) {
            return store(se);
        }
        if (e instanceof LiveReadException l) {
            // The cluster, not this server, failed (an API server or etcd down past the retries): say what could not
            // be read, as a 503 the caller may retry, rather than a 500 that hides it.
            LOG.warnf("reading the cluster failed: %s", l.getMessage());
            return problem(503, "cluster-unavailable", "Cluster unavailable", l.getMessage(), null);
        }
        if (e instanceof Refusal r) {
            String title = r.status() == 404 ? "Not found" : r.status() == 503 ? "Unavailable" : "Conflict";
            return problem(r.status(), slug(title), title, r.getMessage(), null);
        }
        if (e instanceof WebApplicationException w) {
            int status = w.getResponse().getStatus();
            if (status >= 500) {
                LOG.error("request failed", e);
            }
            String title = w.getResponse().getStatusInfo().getReasonPhrase();
            Response answer = problem(status, slug(title), title, status >= 500 ? "internal error" : w.getMessage(),
                    null);
            String allow = status == 405 && uriInfo != null ? UriTags.allow(uriInfo.getRequestUri().getPath()) : null;
            // RESTEasy's 405 carries no Allow header, which RFC 9110 requires of it.
            return allow == null ? answer : Response.fromResponse(answer).header("Allow", allow).build();
        }
        if (e instanceof java.io.IOException && readingTheBody(e)) {
            // The client's fault (too large, or gone): Vert.x has usually answered already; never an ERROR or a 500.
            LOG.debugf("request body not read: %s", e.getMessage());
            return "Request too large".equals(e.getMessage())
                    ? problem(413, "payload-too-large", "Payload too large", "the body exceeds "
                            + "quarkus.http.limits.max-body-size", null)
                    : problem(400, "bad-request", "Bad request", "the request body could not be read", null);
        }
        LOG.error("unexpected failure", e);
        return problem(500, "internal-error", "Internal error", "the server failed; see its log", null);
    }

    /** Thrown by the stream RESTEasy reads a request body from, not by our code or the store. */
    private static boolean readingTheBody(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return trace.length > 0 && trace[0].getClassName().endsWith(".VertxInputStream");
    }

    private Response store(StoreException e) {
        if (e instanceof StoreException.NotFound) {
            return problem(404, "not-found", "Not found", e.getMessage(), null);
        }
        if (e instanceof StoreException.AlreadyExists) {
            return problem(409, "already-exists", "Already exists", e.getMessage(), null);
        }
        if (e instanceof StoreException.Conflict c) {
            return c.viaIfMatch()
                    ? problem(412, "precondition-failed", "Precondition failed", e.getMessage(), null)
                    : problem(409, "conflict", "Conflict", e.getMessage(),
                            List.of(new Violation("/metadata/resourceVersion", "is stale; current is "
                                    + c.current())));
        }
        if (e instanceof StoreException.ManagedElsewhere) {
            return problem(409, "managed-by-gitops", "Managed by GitOps", e.getMessage(), null);
        }
        if (e instanceof StoreException.Rejected) {
            return problem(422, "rejected-by-store", "Rejected by the store", e.getMessage(), null);
        }
        LOG.error("store unavailable", e);
        return problem(503, "store-unavailable", "Store unavailable", e.getMessage(), null);
    }

    private Response problem(int status, String slug, String title, String detail, List<Violation> violations) {
        return problem(status, slug, title, detail, violations, null);
    }

    private Response problem(int status, String slug, String title, String detail, List<Violation> violations,
            Integer omitted) {
        String instance = uriInfo == null ? null : uriInfo.getRequestUri().getPath();
        Problem p = new Problem(Problem.TYPE_BASE + slug, title, status, detail, instance, violations, omitted);
        return Response.status(status).type(MediaTypes.PROBLEM).entity(Documents.toJson(p)).build();
    }

    private static String slug(String title) {
        return title == null ? "error" : title.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}

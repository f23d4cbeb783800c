package io.meshwarden.http;

import io.meshwarden.MeshwardenConfig;
import io.meshwarden.policy.Documents;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * A request's body must arrive within {@code meshwarden.http.body-timeout} of its headers. The read timeout of
 * blocking IO ({@code quarkus.http.read-timeout}) restarts with every byte, so a client trickling one byte every few
 * seconds, or a few hundred that sent headers and stopped, held the server's threads for a minute each; this
 * deadline is one timer per request on the event loop, from the first handler on, whatever reads the body later.
 * On expiry the client gets 408 (problem+json) and the connection is closed.
 */
@ApplicationScoped
public class RequestDeadline {
    private final long bodyTimeoutMillis;

    public RequestDeadline(MeshwardenConfig config) {
        Duration bodyTimeout = config.http().bodyTimeout();
        if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
            throw new IllegalArgumentException("meshwarden.http.body-timeout must be positive, got " + bodyTimeout);
        }
        this.bodyTimeoutMillis = bodyTimeout.toMillis();
    }

    void install(@Observes Router router) {
        // Before every other route, so that the clock starts when the headers are in.
        router.route().order(Integer.MIN_VALUE).handler(this::watch);
    }

    private void watch(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        if (!request.isEnded() && awaitsBody(request.getHeader("Content-Length"),
                request.getHeader("Transfer-Encoding"))) {
            long timer = rc.vertx().setTimer(bodyTimeoutMillis, id -> expire(rc));
            rc.addEndHandler(done -> rc.vertx().cancelTimer(timer));
        }
        rc.next();
    }

    /**
     * Whether a body is still to come (RFC 9112 6.3): chunked, or a positive Content-Length. A request without one
     * (a POST that only triggers, such as an audit) is not ended for Vert.x until a handler reads the nothing that
     * follows, which a handler without a body parameter never does: the deadline then ran into the handler's work
     * and answered 408 to an audit that took longer, as EtcdFaultsE2E found.
     */
    static boolean awaitsBody(String contentLength, String transferEncoding) {
        if (transferEncoding != null) {
            return true;
        }
        if (contentLength == null) {
            return false;
        }
        try {
            return Long.parseLong(contentLength.trim()) > 0;
        } catch (NumberFormatException e) {
            // Malformed: Vert.x refuses it before any handler; if not, the deadline still guards the read.
            return true;
        }
    }

    private void expire(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        if (request.isEnded()) {
            return;
        }
        HttpServerResponse response = rc.response();
        if (response.headWritten() || response.ended()) {
            request.connection().close();
            return;
        }
        Problem p = Problem.of(408, "request-timeout", "Request timeout", "the request body did not arrive within "
                + Duration.ofMillis(bodyTimeoutMillis).toSeconds() + " s (meshwarden.http.body-timeout)",
                request.path());
        response.setStatusCode(408).putHeader("Content-Type", Problem.MEDIA_TYPE).putHeader("Connection", "close")
                .end(Documents.toJson(p)).onComplete(done -> request.connection().close());
    }
}

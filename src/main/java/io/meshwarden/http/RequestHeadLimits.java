package io.meshwarden.http;

import io.meshwarden.policy.Documents;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses an over-long request line (414) or header block (431) with a problem document. Vert.x answers those
 * itself, from inside the HTTP codec, with an empty body and no hook to change it; so the codec's limits
 * ({@code quarkus.http.limits.max-initial-line-length}, {@code max-header-size}) are set as a higher backstop, and
 * the limits users meet are these, checked first on every request. A request past the backstop still gets the
 * codec's empty 414 or 431: the codec has refused to read it by then.
 */
@ApplicationScoped
public class RequestHeadLimits {
    private final int maxLine;
    private final long maxHeaders;

    public RequestHeadLimits(
            @ConfigProperty(name = "meshwarden.http.max-request-line", defaultValue = "4096") int maxLine,
            @ConfigProperty(name = "meshwarden.http.max-header-size", defaultValue = "20K") MemorySize maxHeaders) {
        this.maxLine = maxLine;
        this.maxHeaders = maxHeaders.asLongValue();
    }

    void install(@Observes Router router) {
        // Before BodyLimit (Integer.MIN_VALUE): a head that is too large is refused before its body is looked at.
        router.route().order(Integer.MIN_VALUE).handler(this::check);
    }

    private void check(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        // As the codec counts it: method, space, request target, space, version.
        long line = request.method().name().length() + 1L + request.uri().length() + 1 + "HTTP/1.1".length();
        if (line > maxLine) {
            refuse(rc, 414, "uri-too-long", "URI too long", "the request line has " + line + " characters; at most "
                    + maxLine + " are accepted (meshwarden.http.max-request-line)");
            return;
        }
        long headers = 0;
        for (Map.Entry<String, String> h : request.headers()) {
            headers += h.getKey().length() + 2L + h.getValue().length() + 2;
        }
        if (headers > maxHeaders) {
            refuse(rc, 431, "header-fields-too-large", "Request header fields too large", "the headers take "
                    + headers + " bytes; at most " + maxHeaders + " are accepted (meshwarden.http.max-header-size)");
            return;
        }
        rc.next();
    }

    private static void refuse(RoutingContext rc, int status, String slug, String title, String detail) {
        HttpServerRequest request = rc.request();
        // The path alone as the instance: the query may be what is too long, and is not echoed back.
        String instance = request.path() == null || request.path().length() > 256 ? null : request.path();
        Problem p = Problem.of(status, slug, title, detail, instance);
        rc.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .putHeader("Connection", "close").end(Documents.toJson(p))
                .onComplete(done -> LingeringClose.after(rc.vertx(), request));
    }
}

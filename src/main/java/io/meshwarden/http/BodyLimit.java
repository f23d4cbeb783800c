package io.meshwarden.http;

import io.meshwarden.policy.Documents;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a declared body over {@code quarkus.http.limits.max-body-size} with a problem document before anything
 * reads it; Quarkus' own refusal of the same request is a 413 with an empty body.
 */
@ApplicationScoped
public class BodyLimit {
    private final long maxBytes;

    public BodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M")
            MemorySize maxBodySize) {
        this.maxBytes = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::check);
    }

    private void check(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        String length = request.getHeader("Content-Length");
        if (length != null && tooLarge(length)) {
            Problem p = Problem.of(413, "payload-too-large", "Payload too large", "the body declares " + length
                    + " bytes; at most " + maxBytes + " are accepted (quarkus.http.limits.max-body-size)",
                    request.path());
            rc.response().setStatusCode(413).putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .putHeader("Connection", "close").end(Documents.toJson(p))
                    .onComplete(done -> LingeringClose.after(rc.vertx(), request));
            return;
        }
        rc.next();
    }

    private boolean tooLarge(String length) {
        if (!length.matches("[0-9]{1,19}")) {
            return false; // malformed lengths are the HTTP codec's to refuse
        }
        try {
            return Long.parseLong(length) > maxBytes;
        } catch (NumberFormatException e) {
            return true; // more than Long.MAX_VALUE bytes
        }
    }
}

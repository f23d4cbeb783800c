package io.meshwarden.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

/**
 * Closes a connection after a refusal that was sent before the request body was read (413, 414, 431). Closing a
 * socket with unread bytes makes the kernel answer the client's next bytes with a reset, and a reset can destroy
 * the refusal before the client has read it: the client then sees no answer at all (HostileInputIT saw this on a
 * loaded machine). So what the client still sends is read and dropped, for at most {@link #LINGER_MILLIS}, before
 * the close: bounded in time, and nothing is kept.
 */
final class LingeringClose {
    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    static void after(Vertx vertx, HttpServerRequest request) {
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = vertx.setTimer(LINGER_MILLIS, t -> request.connection().close());
        try {
            request.handler(ignored -> {
            });
            request.endHandler(done -> {
                vertx.cancelTimer(timer);
                request.connection().close();
            });
            request.resume();
        } catch (IllegalStateException alreadyRead) {
            vertx.cancelTimer(timer);
            request.connection().close();
        }
    }
}

package io.meshwarden.testing;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.function.Supplier;

/** Enforcing runs apply in the background: tests poll GET /api/v1/runs/{id} until the run is no longer running (or
 * reverting). */
public final class RunPolling {
    private RunPolling() {
    }

    /** The run as last read: finished, or still running after 20 s (the caller's assertions then say so). */
    public static Response awaitFinished(Supplier<RequestSpecification> request, String id) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            Response r = request.get().get("/api/v1/runs/" + id);
            String outcome = r.path("outcome");
            if (!"running".equals(outcome) && !"reverting".equals(outcome) || System.currentTimeMillis() > deadline) {
                return r;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

package io.meshwarden;

/**
 * A request the service understood but will not carry out now, with the HTTP status that says why: 404 no such
 * thing, 409 busy or in conflict, 503 a prerequisite (a cluster) is missing. The API turns it into a problem document.
 */
public class Refusal extends RuntimeException {
    private final int status;

    public Refusal(int status, String message) {
        super(message);
        this.status = status;
    }

    public static Refusal notFound(String message) {
        return new Refusal(404, message);
    }

    public static Refusal conflict(String message) {
        return new Refusal(409, message);
    }

    public static Refusal unavailable(String message) {
        return new Refusal(503, message);
    }

    public int status() {
        return status;
    }
}

package io.meshwarden.cluster;

/** Reading a kind the snapshot cannot do without failed; the message names the kind and the API's answer. */
public class LiveReadException extends RuntimeException {
    private final String resource;
    private final int code;

    public LiveReadException(String resource, int code, String message, Throwable cause) {
        super(message, cause);
        this.resource = resource;
        this.code = code;
    }

    /** e.g. {@code deployments.apps} or {@code envoyfilters.networking.istio.io}. */
    public String resource() {
        return resource;
    }

    /** The HTTP status of the failed request; 0 or less when there was no HTTP answer (connection errors). */
    public int code() {
        return code;
    }
}

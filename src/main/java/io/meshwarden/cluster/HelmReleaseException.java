package io.meshwarden.cluster;

/** A Helm release Secret whose {@code data.release} cannot be decoded. The message names the Secret. */
public class HelmReleaseException extends RuntimeException {
    private final String secret;

    public HelmReleaseException(String secret, String problem, Throwable cause) {
        super("Helm release Secret " + secret + ": " + problem, cause);
        this.secret = secret;
    }

    /** {@code namespace/name} of the Secret. */
    public String secret() {
        return secret;
    }
}

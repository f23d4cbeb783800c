package io.meshwarden.auth;

/** The API server could not answer a TokenReview or SubjectAccessReview: the request gets 503, never access. */
public class ReviewUnavailable extends RuntimeException {
    public ReviewUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.meshwarden.auth;

/** Checks bearer tokens and what their callers may do. */
interface Authenticator {
    /**
     * @return the caller, or null when the token is unknown, expired or not for us
     * @throws ReviewUnavailable when the answer cannot be had now
     */
    Caller authenticate(String token);

    /** @throws ReviewUnavailable when the answer cannot be had now */
    boolean authorize(Caller caller, Access access);

    /** For the start-up log line. */
    String describe();
}

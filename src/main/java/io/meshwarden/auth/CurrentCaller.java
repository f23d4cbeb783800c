package io.meshwarden.auth;

import jakarta.enterprise.context.RequestScoped;

/** The caller of the request being served, set by {@link AuthFilter} before any resource method runs. */
@RequestScoped
public class CurrentCaller {
    private Caller caller;

    /** The caller; {@link Caller#ANONYMOUS} outside a checked request, so audit lines never lack a user. */
    public Caller get() {
        return caller == null ? Caller.ANONYMOUS : caller;
    }

    void set(Caller caller) {
        this.caller = caller;
    }
}

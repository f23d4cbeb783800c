package io.meshwarden.store;

/** Why a store operation was refused; each maps to one HTTP status in the API. */
public abstract sealed class StoreException extends RuntimeException
        permits StoreException.NotFound, StoreException.AlreadyExists, StoreException.Conflict,
        StoreException.ManagedElsewhere, StoreException.Rejected, StoreException.Unavailable {

    StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public static final class NotFound extends StoreException {
        public NotFound(String name) {
            super("policy '" + name + "' not found", null);
        }
    }

    public static final class AlreadyExists extends StoreException {
        public AlreadyExists(String name) {
            super("policy '" + name + "' already exists", null);
        }
    }

    /** The caller's resourceVersion precondition no longer holds; {@code viaIfMatch} picks 412 over 409. */
    public static final class Conflict extends StoreException {
        private final boolean viaIfMatch;
        private final String current;

        public Conflict(String name, String expected, String current, boolean viaIfMatch) {
            super("policy '" + name + "' was modified: you sent resourceVersion " + expected + " but the current one "
                    + "is " + current + "; read it again and retry", null);
            this.viaIfMatch = viaIfMatch;
            this.current = current;
        }

        public boolean viaIfMatch() {
            return viaIfMatch;
        }

        public String current() {
            return current;
        }
    }

    /** The policy comes from GitOps files; it changes through git, not through the API. */
    public static final class ManagedElsewhere extends StoreException {
        public ManagedElsewhere(String name, String file) {
            super("policy '" + name + "' is managed by GitOps file '" + file + "'; change it in git", null);
        }
    }

    /** The backing store refused the document (the API server's own validation: CRD schema, admission). */
    public static final class Rejected extends StoreException {
        public Rejected(String message) {
            super(message, null);
        }
    }

    public static final class Unavailable extends StoreException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

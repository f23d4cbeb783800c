package io.meshwarden.ui;

/** A dashboard request refused or failed: rendered as an error page with this status, never as JSON. */
public class PageException extends RuntimeException {
    private final int status;
    private final String title;

    public PageException(int status, String title, String message) {
        super(message);
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}

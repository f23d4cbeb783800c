package io.meshwarden.api;

import io.meshwarden.policy.Violation;
import java.util.List;

/** An error the API answers with a problem document; slug names the problem type. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String slug;
    private final String title;
    private final List<Violation> violations;

    public ApiException(int status, String slug, String title, String detail, List<Violation> violations) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.violations = violations;
    }

    public static ApiException badRequest(String field, String reason) {
        return new ApiException(400, "bad-request", "Bad request", field + ": " + reason,
                List.of(new Violation(field, reason)));
    }

    public static ApiException invalid(String field, String reason) {
        return new ApiException(422, "invalid-policy", "Invalid policy", field + ": " + reason,
                List.of(new Violation(field, reason)));
    }

    public int status() {
        return status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    public List<Violation> violations() {
        return violations;
    }
}

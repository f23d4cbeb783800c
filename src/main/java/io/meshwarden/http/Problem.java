package io.meshwarden.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshwarden.policy.Violation;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * RFC 7807 problem details, with the field violations of an invalid document. {@code violationsOmitted} counts the
 * violations found past the listing cap (absent when all are listed).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 7807 problem details (application/problem+json)")
public record Problem(String type, String title, int status, String detail, String instance,
        List<Violation> violations,
        @Schema(description = "Violations found but not listed (at most meshwarden.api.max-violations are listed)")
        Integer violationsOmitted) {
    public static final String MEDIA_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://meshwarden.io/problems/";

    /** A problem without violations; slug names its type under https://meshwarden.io/problems/. */
    public static Problem of(int status, String slug, String title, String detail, String instance) {
        return new Problem(TYPE_BASE + slug, title, status, detail, instance, null, null);
    }
}

package io.meshwarden.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshwarden.policy.Violation;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** RFC 7807 problem details, with the field violations of an invalid document. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 7807 problem details (application/problem+json)")
public record Problem(String type, String title, int status, String detail, String instance,
        List<Violation> violations) {
}

package io.meshwarden.api;

import io.meshwarden.auth.ApiRoutes;
import io.meshwarden.http.Problem;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * The error answers of every API operation, declared here once instead of on each method: what an operation takes
 * decides what it can be refused with (a body: 400, 413, 415, 422; a query or header parameter: 400; a path
 * parameter: 404; If-Match: 412; any request: 414 and 431), and every 4xx/5xx answer, also those a method declares
 * for itself, is a problem document ({@link Problem}), which is what {@link ProblemMapper} and the HTTP layer send
 * (414 and 431 from {@code http/RequestHeadLimits}; only past the HTTP codec's backstop are they empty). A method's own
 * description of a status wins over the generic one here.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ProblemResponses implements OASFilter {
    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            if (!ApiRoutes.guarded(path.getKey()) || path.getValue().getOperations() == null) {
                continue;
            }
            path.getValue().getOperations().values().forEach(ProblemResponses::declare);
        }
    }

    static void declare(Operation op) {
        if (op.getResponses() == null) {
            op.setResponses(OASFactory.createAPIResponses());
        }
        APIResponses r = op.getResponses();
        List<Parameter> params = op.getParameters() == null ? List.of() : op.getParameters();
        if (op.getRequestBody() != null) {
            add(r, "400", "Malformed JSON or YAML, or an empty body");
            add(r, "413", "The body exceeds quarkus.http.limits.max-body-size");
            add(r, "415", "Content-Type is missing, sent twice, not JSON or YAML, or not utf-8");
            add(r, "422", "Invalid document; violations names each field (at most meshwarden.api.max-violations, "
                    + "violationsOmitted counts the rest)");
        }
        if (params.stream().anyMatch(p -> p.getIn() == Parameter.In.QUERY || p.getIn() == Parameter.In.HEADER)) {
            add(r, "400", "A parameter is malformed; violations names it");
        }
        if (params.stream().anyMatch(p -> p.getIn() == Parameter.In.PATH)) {
            add(r, "404", "Not found");
        }
        if (params.stream().anyMatch(p -> p.getIn() == Parameter.In.HEADER && "If-Match".equals(p.getName()))) {
            add(r, "412", "If-Match names no current version (a weak or unknown tag never matches)");
        }
        // Refused before any route reads the request (http/RequestHeadLimits).
        add(r, "414", "The request line exceeds meshwarden.http.max-request-line (past the HTTP codec's "
                + "quarkus.http.limits.max-initial-line-length the codec answers, with an empty body)");
        add(r, "431", "The headers exceed meshwarden.http.max-header-size (past the HTTP codec's "
                + "quarkus.http.limits.max-header-size the codec answers, with an empty body)");
        if (r.getAPIResponses() != null) {
            r.getAPIResponses().forEach((code, response) -> {
                if (code.startsWith("4") || code.startsWith("5")) {
                    problemBody(response);
                }
            });
        }
    }

    private static void add(APIResponses responses, String code, String description) {
        if (!responses.hasAPIResponse(code)) {
            responses.addAPIResponse(code, OASFactory.createAPIResponse().description(description));
        }
    }

    /** Whatever a method declared as the body of an error, the server sends a problem document. */
    private static void problemBody(APIResponse response) {
        Content content = OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE, OASFactory.createMediaType()
                .schema(OASFactory.createSchema().ref("Problem")));
        response.setContent(content);
    }
}

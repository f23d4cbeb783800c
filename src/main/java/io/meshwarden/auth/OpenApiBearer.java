package io.meshwarden.auth;

import io.meshwarden.http.Problem;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Declares the bearer scheme in the OpenAPI document, requires it on every operation (they are all under /api)
 * and documents the 401, 403 and 503 answers of {@link AuthFilter}.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class OpenApiBearer implements OASFilter {
    static final String SCHEME = "bearer";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        openAPI.getComponents().addSecurityScheme(SCHEME, OASFactory.createSecurityScheme()
                .type(SecurityScheme.Type.HTTP).scheme("bearer").description("In a cluster: a Kubernetes token "
                        + "(a ServiceAccount token or the user's own), checked with a TokenReview; RBAC on "
                        + "meshpolicies.meshwarden.io decides what it may do. Elsewhere: a token of "
                        + "meshwarden.auth.tokens-file, or the generated admin token."));
        openAPI.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme(SCHEME));
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            if (!ApiRoutes.guarded(path.getKey()) || path.getValue().getOperations() == null) {
                continue;
            }
            for (Operation op : path.getValue().getOperations().values()) {
                if (op.getResponses() == null) {
                    op.setResponses(OASFactory.createAPIResponses());
                }
                respond(op.getResponses(), "401", "No bearer token, or not a valid one");
                respond(op.getResponses(), "403", "The token may not do this");
                respond(op.getResponses(), "503", "The Kubernetes API server could not check the token");
            }
        }
    }

    private static void respond(APIResponses responses, String code, String description) {
        if (!responses.hasAPIResponse(code)) {
            responses.addAPIResponse(code, OASFactory.createAPIResponse().description(description).content(
                    OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE, OASFactory.createMediaType()
                            .schema(OASFactory.createSchema().ref("Problem")))));
        }
    }
}

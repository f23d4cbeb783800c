package io.meshwarden.ui;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** The pages that stand outside the navigation: login and errors. */
@Provider
public class Pages implements ExceptionMapper<PageException> {

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance error(int status, String title, String message);

        static native TemplateInstance login(String loginCsrf, String message);
    }

    static Response error(int status, String title, String message) {
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8"))
                .entity(Templates.error(status, title, message).render()).build();
    }

    @Override
    public Response toResponse(PageException e) {
        return error(e.status(), e.title(), e.getMessage());
    }
}

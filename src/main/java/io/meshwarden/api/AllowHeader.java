package io.meshwarden.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * The Allow header of RESTEasy's own OPTIONS answer lists the methods of the whole resource class, so
 * {@code OPTIONS /api/v1/policies/x} offered POST and {@code /api/v1/policies} PUT and DELETE. It is replaced by the
 * methods of the route the path matches ({@link UriTags#allow}), the same list a 405 names.
 */
public class AllowHeader {

    @ServerResponseFilter
    public void routeMethods(ContainerRequestContext request, ContainerResponseContext response) {
        if (!"OPTIONS".equals(request.getMethod()) || !response.getHeaders().containsKey("Allow")) {
            return;
        }
        String allow = UriTags.allow(request.getUriInfo().getPath());
        if (allow != null) {
            response.getHeaders().putSingle("Allow", allow);
        }
    }
}

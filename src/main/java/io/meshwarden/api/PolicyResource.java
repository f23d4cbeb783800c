package io.meshwarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.auth.AuditLog;
import io.meshwarden.auth.CurrentCaller;
import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.http.MediaTypes;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.LabelSelector;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Mode;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicySchema;
import io.meshwarden.policy.PolicyType;
import io.meshwarden.store.StoreException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/policies")
@Tag(name = "Policies", description = "Create, read, update and delete MeshPolicy documents")
@Produces({MediaType.APPLICATION_JSON, MediaTypes.YAML})
public class PolicyResource {
    private final PolicyCatalog catalog;
    private final CurrentCaller caller;
    private final int maxViolations;

    public PolicyResource(PolicyCatalog catalog, CurrentCaller caller, MeshwardenConfig config) {
        this.catalog = catalog;
        this.caller = caller;
        int maxViolations = config.api().maxViolations();
        if (maxViolations < 1) {
            throw new IllegalArgumentException("meshwarden.api.max-violations must be at least 1, got "
                    + maxViolations);
        }
        this.maxViolations = maxViolations;
    }

    @GET
    @Operation(summary = "List policies", description = "All effective policies (store and GitOps), sorted by name, "
            + "optionally filtered")
    @APIResponse(responseCode = "200", description = "The policies", content = @Content(schema = @Schema(
            ref = PolicyOpenApi.LIST)))
    public ObjectNode list(
            @Parameter(description = "Policy type, e.g. HaMinimum", schema = @Schema(ref = PolicyOpenApi.TYPE_NAME))
            @QueryParam("type") String type,
            @Parameter(description = "audit or enforce", schema = @Schema(ref = PolicyOpenApi.MODE))
            @QueryParam("mode") String mode,
            @Parameter(description = "store or gitops", schema = @Schema(ref = PolicyOpenApi.SOURCE))
            @QueryParam("source") String source,
            @Parameter(description = "Kubernetes label selector, e.g. team=platform,env in (prod,staging)")
            @QueryParam("labelSelector") String labelSelector, @Context UriInfo uriInfo) {
        // RESTEasy hands an empty value (?source=) over as null; it is refused like any value outside the enum.
        String typeName = sent(uriInfo, "type", type);
        PolicyType t = typeName == null ? null : PolicyTypes.CODEC.type(typeName).orElseThrow(() ->
                ApiException.badRequest("query/type", "must be one of " + PolicyTypes.ALL.stream()
                        .map(PolicyType::name).collect(java.util.stream.Collectors.joining(", ")) + ", got '" + typeName
                        + "'"));
        Mode m = parseEnum("mode", sent(uriInfo, "mode", mode), Mode.class, true);
        PolicyCatalog.Source s = parseEnum("source", sent(uriInfo, "source", source), PolicyCatalog.Source.class,
                false);
        LabelSelector selector;
        try {
            selector = LabelSelector.parse(labelSelector);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("query/labelSelector", e.getMessage());
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("apiVersion", MeshPolicy.API_VERSION);
        out.put("kind", "MeshPolicyList");
        ArrayNode items = out.putArray("items");
        for (PolicyCatalog.Entry e : catalog.list()) {
            MeshPolicy p = e.policy();
            if ((t == null || p.spec().type() == t) && (m == null || p.spec().mode() == m)
                    && (s == null || e.source() == s) && selector.matches(p.metadata().labels())) {
                items.add(render(e));
            }
        }
        return out;
    }

    @POST
    @Consumes({MediaType.APPLICATION_JSON, MediaTypes.YAML, MediaTypes.YAML_X, MediaTypes.YAML_TEXT})
    @Operation(summary = "Create a policy")
    @RequestBody(required = true, content = {
        @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = PolicyOpenApi.NEW_POLICY)),
        @Content(mediaType = MediaTypes.YAML, schema = @Schema(ref = PolicyOpenApi.NEW_POLICY))})
    @APIResponse(responseCode = "201", description = "Created; ETag and Location are set", content = @Content(
            schema = @Schema(ref = PolicyOpenApi.POLICY)))
    @APIResponse(responseCode = "409", description = "A policy of that name exists (in the store or in GitOps)")
    public Response create(@Context HttpHeaders headers, byte[] body, @Context UriInfo uriInfo) {
        MeshPolicy policy = parse(headers, body);
        if (policy.metadata().resourceVersion() != null) {
            throw ApiException.invalid("/metadata/resourceVersion", "must not be set when creating a policy");
        }
        PolicyCatalog.Entry created = catalog.create(policy);
        AuditLog.policy(caller.get(), "policy.create", created.policy().name(), null, version(created));
        return Response.created(uriInfo.getAbsolutePathBuilder().path(created.policy().name()).build())
                .tag(etag(created.policy())).entity(render(created)).build();
    }

    @POST
    @Path("/validate")
    @Consumes({MediaType.APPLICATION_JSON, MediaTypes.YAML, MediaTypes.YAML_X, MediaTypes.YAML_TEXT})
    @Operation(summary = "Validate a policy (dry run)", description = "Parses and validates; stores nothing. "
            + "Returns the normalized document with defaults filled in.")
    @RequestBody(required = true, content = @Content(schema = @Schema(ref = PolicyOpenApi.POLICY)))
    @APIResponse(responseCode = "200", description = "Valid", content = @Content(schema = @Schema(
            ref = PolicyOpenApi.VALIDATION)))
    public ObjectNode validate(@Context HttpHeaders headers, byte[] body) {
        MeshPolicy policy = parse(headers, body);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("valid", true);
        out.set("policy", PolicyCodec.write(policy));
        return out;
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "Read a policy")
    @APIResponse(responseCode = "200", description = "The policy; ETag is its resourceVersion", content = @Content(
            schema = @Schema(ref = PolicyOpenApi.POLICY)))
    @APIResponse(responseCode = "404", description = "No such policy")
    public Response get(
            @Schema(pattern = PolicySchema.DNS_SUBDOMAIN, maxLength = 253) @PathParam("name") String name) {
        PolicyCatalog.Entry e = catalog.get(name).orElseThrow(() -> new StoreException.NotFound(name));
        return Response.ok(render(e)).tag(etag(e.policy())).build();
    }

    @PUT
    @Path("/{name}")
    @Consumes({MediaType.APPLICATION_JSON, MediaTypes.YAML, MediaTypes.YAML_X, MediaTypes.YAML_TEXT})
    @Operation(summary = "Replace a policy", description = "Optimistic concurrency: send metadata.resourceVersion "
            + "(stale: 409) or If-Match with the ETag (stale: 412). Without either the update is unconditional.")
    @RequestBody(required = true, content = @Content(schema = @Schema(ref = PolicyOpenApi.POLICY)))
    @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = "ETag from a previous read, or *")
    @APIResponse(responseCode = "200", description = "Updated", content = @Content(schema = @Schema(
            ref = PolicyOpenApi.POLICY)))
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "409", description = "Stale resourceVersion, or the policy is managed by GitOps")
    @APIResponse(responseCode = "422", description = "Invalid policy, or body name differs from the path")
    public Response update(
            @Schema(pattern = PolicySchema.DNS_SUBDOMAIN, maxLength = 253) @PathParam("name") String name,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
            @Context HttpHeaders headers, byte[] body) {
        MeshPolicy policy = parse(headers, body);
        if (!name.equals(policy.name())) {
            throw ApiException.invalid("/metadata/name", "must match the name in the path ('" + name + "')");
        }
        String fromHeader = ifMatch(name, ifMatch);
        String fromBody = policy.metadata().resourceVersion();
        if (fromHeader != null && fromBody != null && !fromHeader.equals(fromBody)) {
            // Two different preconditions cannot both hold; refuse instead of picking one.
            throw ApiException.invalid("/metadata/resourceVersion", "differs from If-Match (" + fromHeader + ")");
        }
        boolean viaIfMatch = fromHeader != null;
        String expected = viaIfMatch ? fromHeader : fromBody;
        String before = expected != null ? expected : currentVersion(name);
        PolicyCatalog.Entry updated = catalog.update(policy, expected, viaIfMatch);
        AuditLog.policy(caller.get(), "policy.update", name, before, version(updated));
        return Response.ok(render(updated)).tag(etag(updated.policy())).build();
    }

    @DELETE
    @Path("/{name}")
    @Operation(summary = "Delete a policy")
    @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = "ETag from a previous read, or *")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", description = "No such policy")
    @APIResponse(responseCode = "409", description = "The policy is managed by GitOps")
    public Response delete(
            @Schema(pattern = PolicySchema.DNS_SUBDOMAIN, maxLength = 253) @PathParam("name") String name,
            @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        String expected = ifMatch(name, ifMatch);
        String before = expected != null ? expected : currentVersion(name);
        catalog.delete(name, expected, true);
        AuditLog.policy(caller.get(), "policy.delete", name, before, null);
        return Response.noContent().build();
    }

    private MeshPolicy parse(HttpHeaders headers, byte[] body) {
        boolean yaml = isYaml(headers.getRequestHeader(HttpHeaders.CONTENT_TYPE));
        if (body == null || body.length == 0) {
            throw ApiException.badRequest("body", "is empty: send one MeshPolicy document");
        }
        JsonNode doc = Documents.parseOne(body, yaml);
        return PolicyTypes.CODEC.read(doc, maxViolations);
    }

    private static final List<String> JSON_TYPES = List.of(MediaType.APPLICATION_JSON);
    private static final List<String> YAML_TYPES = List.of(MediaTypes.YAML, MediaTypes.YAML_X, MediaTypes.YAML_TEXT);

    /**
     * Whether the body is YAML (else JSON). JAX-RS lets a missing Content-Type, a wildcard, a second header and
     * any charset through to a method that consumes JSON; the README promises 415 for all of them, since guessing
     * the format or the encoding of a policy is how a document comes to mean something its author did not write.
     */
    static boolean isYaml(List<String> contentTypes) {
        if (contentTypes == null || contentTypes.isEmpty()) {
            throw unsupported("is missing: send application/json or application/yaml");
        }
        if (contentTypes.size() > 1) {
            throw unsupported("is sent " + contentTypes.size() + " times: send it once");
        }
        MediaType type;
        try {
            type = MediaType.valueOf(contentTypes.get(0));
        } catch (IllegalArgumentException e) {
            throw unsupported("is not a media type");
        }
        String base = (type.getType() + "/" + type.getSubtype()).toLowerCase(Locale.ROOT);
        boolean yaml = YAML_TYPES.contains(base);
        if (!yaml && !JSON_TYPES.contains(base)) {
            throw unsupported("must be application/json or application/yaml, got '" + shorten(base) + "'");
        }
        String charset = type.getParameters().get(MediaType.CHARSET_PARAMETER);
        if (charset != null && !charset.equalsIgnoreCase("utf-8")) {
            throw unsupported("charset must be utf-8, got '" + shorten(charset) + "'");
        }
        return yaml;
    }

    private static ApiException unsupported(String reason) {
        return new ApiException(415, "unsupported-media-type", "Unsupported media type", "header/Content-Type: "
                + reason, List.of(new io.meshwarden.policy.Violation("header/Content-Type", reason)));
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    static ObjectNode render(PolicyCatalog.Entry e) {
        ObjectNode doc = PolicyCodec.write(e.policy());
        ObjectNode status = doc.putObject("status");
        status.put("source", e.source().name());
        if (e.file() != null) {
            status.put("file", e.file());
        }
        return doc;
    }

    /** For the audit log of an unconditional change; another writer may still slip in between. */
    private String currentVersion(String name) {
        return catalog.get(name).map(PolicyResource::version).orElse(null);
    }

    private static String version(PolicyCatalog.Entry e) {
        return e.policy().metadata().resourceVersion();
    }

    private static EntityTag etag(MeshPolicy p) {
        return new EntityTag(p.metadata().resourceVersion());
    }

    /**
     * The resourceVersion an If-Match demands of the policy, or null for none or "*". RFC 9110 section 13.1.1: the
     * header is a list, compared strongly, so a weak tag never matches and neither does a well-formed tag that is
     * not one of ours; when nothing in the list can match, the answer is 412 (404 when there is no such policy).
     * Of several candidates the current one is picked; the store still checks it atomically.
     */
    private String ifMatch(String name, String header) {
        if (header == null || header.isBlank() || header.trim().equals("*")) {
            return null;
        }
        List<String> candidates = new java.util.ArrayList<>();
        for (String tag : entityTags(header)) {
            String opaque = tag.substring(1, tag.length() - 1);
            if (!tag.startsWith("W/") && opaque.matches("[0-9]{1,19}")) {
                candidates.add(opaque);
            }
        }
        String current = currentVersion(name);
        if (candidates.isEmpty() || current == null) {
            if (current == null) {
                throw new StoreException.NotFound(name);
            }
            throw new StoreException.Conflict(name, shorten(header.trim()), current, true);
        }
        return candidates.contains(current) ? current : candidates.get(0);
    }

    /** The entity-tags of an If-Match list; 400 when the list is not one (unquoted, unterminated, a stray "*"). */
    static List<String> entityTags(String header) {
        List<String> tags = new java.util.ArrayList<>();
        int i = 0;
        int n = header.length();
        while (i < n) {
            char c = header.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            int start = i;
            if (header.startsWith("W/", i)) {
                i += 2;
            }
            int close = i < n && header.charAt(i) == '"' ? header.indexOf('"', i + 1) : -1;
            if (close < 0 || header.substring(i + 1, close).chars().anyMatch(ch -> ch < 0x21 || ch == 0x7f)) {
                throw ApiException.badRequest("header/If-Match", "must be * or a list of ETags as returned by the "
                        + "API, e.g. \"1732450000000000\"");
            }
            tags.add(header.substring(start, close + 1));
            i = close + 1;
            if (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ' && header.charAt(i) != '\t') {
                throw ApiException.badRequest("header/If-Match", "must be * or a list of ETags as returned by the "
                        + "API, e.g. \"1732450000000000\"");
            }
        }
        if (tags.isEmpty()) {
            throw ApiException.badRequest("header/If-Match", "must be * or a list of ETags as returned by the API");
        }
        return tags;
    }

    private static String sent(UriInfo uriInfo, String name, String value) {
        return value == null && uriInfo.getQueryParameters().containsKey(name) ? "" : value;
    }

    private static <E extends Enum<E>> E parseEnum(String param, String value, Class<E> type, boolean lowerWire) {
        if (value == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            String wire = lowerWire ? e.name().toLowerCase(Locale.ROOT) : e.name();
            if (wire.equals(value)) {
                return e;
            }
        }
        List<String> allowed = Arrays.stream(type.getEnumConstants())
                .map(e -> lowerWire ? e.name().toLowerCase(Locale.ROOT) : e.name()).toList();
        throw ApiException.badRequest("query/" + param, "must be one of " + String.join(", ", allowed) + ", got '"
                + value + "'");
    }
}

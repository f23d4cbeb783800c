package io.meshwarden.api;

import io.meshwarden.auth.ApiRoutes;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.HttpMethod;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Keeps the {@code uri} tag of the HTTP server metrics to the API's own route templates. A request refused before
 * routing (401 from the pre-matching token check, 415, 413) has no template, so Quarkus tags it with the raw path:
 * about a hundred made-up /api paths from an anonymous client filled the URI-tag budget
 * ({@code quarkus.micrometer.binder.http-server.max-uri-tags}), real endpoints went unrecorded, and the made-up
 * strings were published on /q/metrics. Any /api path that is not a template is tagged {@value #UNKNOWN} instead.
 */
@Singleton
public class UriTags {
    public static final String UNKNOWN = "UNKNOWN";

    /** Every REST resource of the service; {@code UriTagsTest} fails when one under /api is missing. */
    static final List<Class<?>> RESOURCES = List.of(PolicyResource.class, ReportResource.class, RunResource.class,
            SourcesResource.class, HelmResource.class, OnboardingResource.class);

    /** Each route template of {@link #RESOURCES} with the HTTP methods it serves, read from their annotations. */
    private static final Map<String, Set<String>> ROUTES = routes(RESOURCES);
    private static final Set<String> TEMPLATES = ROUTES.keySet();

    static Set<String> templates(List<Class<?>> resources) {
        return routes(resources).keySet();
    }

    static Map<String, Set<String>> routes(List<Class<?>> resources) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (Class<?> c : resources) {
            String base = c.getAnnotation(Path.class).value();
            for (Method m : c.getDeclaredMethods()) {
                String verb = Arrays.stream(m.getAnnotations())
                        .map(a -> a.annotationType().getAnnotation(HttpMethod.class)).filter(Objects::nonNull)
                        .map(HttpMethod::value).findFirst().orElse(null);
                if (verb == null) {
                    continue;
                }
                Path p = m.getAnnotation(Path.class);
                out.computeIfAbsent(p == null ? base : join(base, p.value()), k -> new TreeSet<>()).add(verb);
            }
        }
        Map<String, Set<String>> frozen = new TreeMap<>();
        out.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        return Collections.unmodifiableMap(frozen);
    }

    /**
     * The Allow header of a 405 for this request path (RFC 9110 section 15.5.6: it must be sent), or null when
     * the path is none of the API's routes. HEAD comes with GET and OPTIONS with every route, as RESTEasy serves
     * them; a literal segment beats a template one, as in JAX-RS matching.
     */
    static String allow(String path) {
        String best = null;
        for (String template : TEMPLATES) {
            if (path.matches(template.replaceAll("\\{[^/}]+}", "[^/]+"))
                    && (best == null || literals(template) > literals(best))) {
                best = template;
            }
        }
        if (best == null) {
            return null;
        }
        Set<String> methods = new TreeSet<>(ROUTES.get(best));
        if (methods.contains("GET")) {
            methods.add("HEAD");
        }
        methods.add("OPTIONS");
        return String.join(", ", methods);
    }

    private static String join(String base, String sub) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b + (sub.startsWith("/") ? sub : "/" + sub);
    }

    private static long literals(String template) {
        return Arrays.stream(template.split("/")).filter(s -> !s.startsWith("{")).count();
    }

    /** The tag value to record for a request's uri tag. */
    static String fold(String uri) {
        if (uri == null || !ApiRoutes.guarded(uri) || TEMPLATES.contains(uri)) {
            return uri;
        }
        return UNKNOWN;
    }

    @Produces
    @Singleton
    MeterFilter foldUnknownApiPaths() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                String uri = id.getTag("uri");
                if (uri == null || !id.getName().startsWith("http.server")) {
                    return id;
                }
                String folded = fold(uri);
                // withTag replaces the tag of the same key (tags are a sorted set by key).
                return folded.equals(uri) ? id : id.withTag(Tag.of("uri", folded));
            }
        };
    }
}

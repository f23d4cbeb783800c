package io.meshwarden.api;

import io.meshwarden.auth.ApiRoutes;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Path;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
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
            SourcesResource.class, HelmResource.class);

    private static final Set<String> TEMPLATES = templates(RESOURCES);

    static Set<String> templates(List<Class<?>> resources) {
        Set<String> out = new TreeSet<>();
        for (Class<?> c : resources) {
            String base = c.getAnnotation(Path.class).value();
            out.add(base);
            for (Method m : c.getDeclaredMethods()) {
                Path p = m.getAnnotation(Path.class);
                if (p != null) {
                    out.add(join(base, p.value()));
                }
            }
        }
        return Set.copyOf(out);
    }

    private static String join(String base, String sub) {
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b + (sub.startsWith("/") ? sub : "/" + sub);
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

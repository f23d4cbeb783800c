package io.meshwarden.ui;

import io.quarkus.qute.TemplateData;
import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.Documents;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.Report;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The findings of the latest audit: filters as query parameters (a plain GET form, so it works without script),
 * paged on the server, each finding with its remedy, and the rule pages of docs/rules.
 */
@Path("/")
@Blocking
@Produces(MediaType.TEXT_HTML)
public class FindingsResource {
    static final String CLUSTER_SCOPED = "(cluster)";
    private static final Pattern RULE_ID = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    private static final int MAX_PARAM = 256;

    /** The filters; blank means any. q is matched case-insensitively in the message, resource, path and rule. */
    @TemplateData
    public record Filter(String policy, String type, String rule, String severity, String namespace, String kind,
            String q) {
        boolean matches(Finding f) {
            return eq(policy, f.policy()) && eq(type, f.type().name()) && eq(rule, f.rule())
                    && eq(severity, f.severity().wire()) && eq(namespace, namespaceOf(f))
                    && eq(kind, f.resource().kind()) && text(f);
        }

        private boolean text(Finding f) {
            if (q == null || q.isBlank()) {
                return true;
            }
            String needle = q.strip().toLowerCase(Locale.ROOT);
            return contains(f.message(), needle) || contains(f.resource().toString(), needle)
                    || contains(f.path(), needle) || contains(f.rule(), needle);
        }

        private static boolean contains(String hay, String needle) {
            return hay != null && hay.toLowerCase(Locale.ROOT).contains(needle);
        }

        private static boolean eq(String wanted, String actual) {
            return wanted == null || wanted.isEmpty() || wanted.equals(actual);
        }

        /** The query string of these filters (without the page), for links that keep them. */
        public String query() {
            StringBuilder b = new StringBuilder();
            add(b, "policy", policy);
            add(b, "type", type);
            add(b, "rule", rule);
            add(b, "severity", severity);
            add(b, "namespace", namespace);
            add(b, "kind", kind);
            add(b, "q", q);
            return b.toString();
        }

        private static void add(StringBuilder b, String k, String v) {
            if (v != null && !v.isEmpty()) {
                b.append(b.length() == 0 ? "" : "&").append(k).append('=').append(encode(v));
            }
        }
    }

    /** A select's choices, with the selected one marked. */
    @TemplateData
    public record Option(String value, boolean selected) {
    }

    @TemplateData

    public record Options(List<Option> policies, List<Option> types, List<Option> rules, List<Option> severities,
            List<Option> namespaces, List<Option> kinds) {
    }

    /** @param href the finding's page */
    @TemplateData
    public record Row(String href, String severity, String policy, String rule, String ruleHref, String resource,
            String message, boolean restartsPods) {
    }


    @TemplateData

    public record Detail(String policy, String type, String rule, String ruleHref, String severity,
            String resource, String apiVersion, String path, String expected, String actual, String message,
            String helmRelease) {
    }

    /**
     * @param body       the exact patch, new object or values overlay as YAML; null when there is none
     * @param helmCommand the helm upgrade command line for a values overlay; null otherwise
     */
    @TemplateData
    public record RemedyView(String action, String target, boolean restartsPods, String note, String body,
            String helmCommand, String helmNote) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance findings(Nav nav, boolean report, Filter filter, Options options,
                List<Row> rows, Page page, String generatedAt);

        static native TemplateInstance finding(Nav nav, Detail f, RemedyView remedy, String back);

        static native TemplateInstance rule(Nav nav, String id, String text);
    }

    private final LatestReport latest;
    private final Viewer viewer;

    public FindingsResource(LatestReport latest, Viewer viewer) {
        this.latest = latest;
        this.viewer = viewer;
    }

    @GET
    @Path("findings")
    public TemplateInstance findings(@QueryParam("policy") String policy, @QueryParam("type") String type,
            @QueryParam("rule") String rule, @QueryParam("severity") String severity,
            @QueryParam("namespace") String namespace, @QueryParam("kind") String kind, @QueryParam("q") String q,
            @QueryParam("page") String pageParam) {
        viewer.requireRead(OverviewResource.REPORT);
        Filter filter = new Filter(clip(policy), clip(type), clip(rule), clip(severity), clip(namespace),
                clip(kind), clip(q));
        Report report = latest.get().orElse(null);
        if (report == null) {
            return Templates.findings(viewer.nav("findings"), false, filter, emptyOptions(), List.of(),
                    Page.EMPTY, null);
        }
        List<Finding> all = report.result().findings();
        List<Integer> matching = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (filter.matches(all.get(i))) {
                matching.add(i);
            }
        }
        Page page = Page.of(matching.size(), pageParam, "/findings?" + filter.query()
                + (filter.query().isEmpty() ? "" : "&") + "page=");
        long at = report.generatedAt().toEpochMilli();
        List<Row> rows = new ArrayList<>();
        for (int i : matching.subList(page.start(), page.to())) {
            Finding f = all.get(i);
            rows.add(new Row("/findings/" + i + "?at=" + at, f.severity().wire(), f.policy(), f.rule(),
                    "/rules/" + f.rule(), f.resource().toString(), f.message(),
                    f.remedy() != null && f.remedy().restartsPods()));
        }
        return Templates.findings(viewer.nav("findings"), true, filter, options(all, filter), rows, page,
                report.generatedAt().toString());
    }

    @GET
    @Path("findings/{index}")
    public TemplateInstance finding(@PathParam("index") String index, @QueryParam("at") String at) {
        viewer.requireRead(OverviewResource.REPORT);
        Report report = latest.get().orElseThrow(() -> new PageException(404, "No report",
                "no audit has completed yet"));
        List<Finding> all = report.result().findings();
        if (!index.matches("[0-9]{1,9}") || Integer.parseInt(index) >= all.size()) {
            throw new PageException(404, "No such finding", "the latest audit has no finding " + index);
        }
        if (at != null && !at.equals(Long.toString(report.generatedAt().toEpochMilli()))) {
            throw new PageException(404, "A newer audit", "a newer audit replaced the report this link was made "
                    + "from; find the finding again in the list");
        }
        Finding f = all.get(Integer.parseInt(index));
        Detail d = new Detail(f.policy(), f.type().name(), f.rule(), "/rules/" + f.rule(), f.severity().wire(),
                f.resource().toString(), f.resource().apiVersion(), f.path(), f.expected(), f.actual(),
                f.message(), f.helmRelease() == null ? null : f.helmRelease().namespace() + "/"
                        + f.helmRelease().name() + " (revision " + f.helmRelease().revision() + ")");
        return Templates.finding(viewer.nav("findings"), d, remedy(f.remedy(), report), "/findings?rule="
                + encode(f.rule()));
    }

    /** A rule's page from docs/rules, as text (the build copies the pages into the application). */
    @GET
    @Path("rules/{id}")
    public TemplateInstance rule(@PathParam("id") String id) {
        if (!RULE_ID.matcher(id).matches() || id.length() > 100) {
            throw new PageException(404, "No such rule", "no rule '" + (id.length() > 100 ? id.substring(0, 100)
                    + "…" : id) + "'");
        }
        try (InputStream in = FindingsResource.class.getClassLoader()
                .getResourceAsStream("meshwarden-rules/" + id + ".md")) {
            if (in == null) {
                throw new PageException(404, "No such rule", "no rule page for '" + id + "'");
            }
            return Templates.rule(viewer.nav("findings"), id, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PageException(500, "Rule page unreadable", e.getMessage());
        }
    }

    static RemedyView remedy(Remedy r, Report report) {
        if (r == null) {
            return null;
        }
        String body = r.patch() == null ? null : Documents.toYaml(r.patch());
        String command = null;
        String note = null;
        if (Remedy.VALUES_OVERLAY.equals(r.action()) && r.target() != null) {
            HelmRelease.Chart chart = report.helmCharts().get(r.target().namespace() + "/" + r.target().name());
            if (chart != null) {
                command = HelmOverlays.upgradeCommand(chart, r.target().namespace(), r.target().name(),
                        "overlay.yaml");
                note = HelmOverlays.REPO_NOTE;
            }
        }
        return new RemedyView(r.action(), r.target() == null ? null : r.target().toString(), r.restartsPods(),
                r.note(), body, command, note);
    }

    static String namespaceOf(Finding f) {
        ResourceRef r = f.resource();
        return r.namespace() == null ? CLUSTER_SCOPED : r.namespace();
    }

    private static Options options(List<Finding> all, Filter filter) {
        return new Options(options(all, Finding::policy, filter.policy()),
                options(all, f -> f.type().name(), filter.type()), options(all, Finding::rule, filter.rule()),
                options(all, f -> f.severity().wire(), filter.severity()),
                options(all, FindingsResource::namespaceOf, filter.namespace()),
                options(all, f -> f.resource().kind(), filter.kind()));
    }

    private static List<Option> options(List<Finding> all, Function<Finding, String> key, String selected) {
        Set<String> values = new TreeSet<>();
        all.forEach(f -> values.add(key.apply(f)));
        if (selected != null && !selected.isEmpty()) {
            values.add(selected);
        }
        return values.stream().map(v -> new Option(v, v.equals(selected))).toList();
    }

    private static Options emptyOptions() {
        return new Options(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** Query values are bounded: a filter longer than any name is no filter anyone meant. */
    private static String clip(String v) {
        if (v == null) {
            return null;
        }
        return v.length() > MAX_PARAM ? v.substring(0, MAX_PARAM) : v;
    }

    static String encode(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }
}

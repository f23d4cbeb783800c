package io.meshwarden.ui;

import io.meshwarden.catalog.PolicyCatalog;
import io.meshwarden.enforce.HelmOverlays;
import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.report.LatestReport;
import io.meshwarden.report.Report;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Policies (list, each as YAML with its source) with the load errors of their sources (GitOps files and stored
 * MeshPolicy resources or files), and the Helm values overlays of the latest audit with their command lines.
 */
@Path("/")
@Blocking
@Produces(MediaType.TEXT_HTML)
public class PoliciesResource {
    static final String POLICIES = "/api/v1/policies";
    static final String SOURCES = "/api/v1/sources";

    @TemplateData
    public record PolicyRow(String name, String href, String type, String mode, String severity, String source,
            String file, int findings) {
    }

    /** One source error: where (a file and line, or a resource name) and why, with field violations. */
    @TemplateData
    public record SourceError(String source, String where, String message, List<String> violations) {
    }

    @TemplateData
    public record PolicyDetail(String name, String type, String mode, String source, String file, String yaml) {
    }

    /**
     * @param compliant no values-level finding for this release
     */
    @TemplateData
    public record Release(String key, String chart, String version, boolean compliant, String overlay,
            String command, List<String> findings, boolean restartsPods) {
    }

    @CheckedTemplate
    static class Templates {
        static native TemplateInstance policies(Nav nav, List<PolicyRow> policies, boolean sources,
                List<SourceError> errors, List<String> conflicts);

        static native TemplateInstance policy(Nav nav, PolicyDetail p);

        static native TemplateInstance helm(Nav nav, boolean report, List<Release> releases, String repoNote);
    }

    private final PolicyCatalog catalog;
    private final LatestReport latest;
    private final Viewer viewer;

    public PoliciesResource(PolicyCatalog catalog, LatestReport latest, Viewer viewer) {
        this.catalog = catalog;
        this.latest = latest;
        this.viewer = viewer;
    }

    @GET
    @Path("policies")
    public TemplateInstance policies() {
        viewer.requireRead(POLICIES);
        Map<String, Integer> findings = new java.util.HashMap<>();
        latest.get().ifPresent(r -> r.result().findings().forEach(f -> findings.merge(f.policy(), 1,
                Integer::sum)));
        List<PolicyRow> rows = new ArrayList<>();
        for (PolicyCatalog.Entry e : catalog.list()) {
            MeshPolicy p = e.policy();
            rows.add(new PolicyRow(p.name(), "/policies/" + p.name(), p.spec().type().name(),
                    p.spec().mode().wire(), p.spec().severity() == null ? "" : p.spec().severity().wire(),
                    e.source().name(), e.file(), findings.getOrDefault(p.name(), 0)));
        }
        boolean sources = viewer.may("GET", SOURCES, false);
        List<SourceError> errors = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        if (sources) {
            String store = catalog.store().type();
            catalog.store().loadErrors().forEach(l -> errors.add(new SourceError("store (" + store + ")", l.file(),
                    l.reason(), List.of())));
            catalog.gitops().ifPresent(g -> {
                for (GitOpsSource.FileStatus f : g.files()) {
                    if (f.error() != null) {
                        GitOpsSource.FileError fe = f.error();
                        String where = f.file() + (fe.line() > 0 ? ":" + fe.line() + (fe.column() > 0 ? ":"
                                + fe.column() : "") : "") + (fe.document() > 0 ? " (document " + fe.document()
                                + ")" : "");
                        errors.add(new SourceError("gitops", where, fe.message() + (f.lastGoodAt() != null
                                ? "; the last good version stays in effect" : ""), fe.violations() == null
                                ? List.of() : fe.violations().stream().map(v -> v.field() + ": " + v.reason())
                                        .toList()));
                    }
                }
                if (g.scanError() != null) {
                    errors.add(new SourceError("gitops", g.root().toString(), g.scanError(), List.of()));
                }
                g.conflicts().forEach(c -> conflicts.add(c.name() + ": " + c.winnerFile() + " wins over "
                        + String.join(", ", c.shadowedFiles())));
            });
            catalog.shadowedStorePolicies().forEach(s -> conflicts.add(s.name() + ": gitops file "
                    + s.gitopsFile() + " wins over the store"));
        }
        return Templates.policies(viewer.nav("policies"), rows, sources, errors, conflicts);
    }

    @GET
    @Path("policies/{name}")
    public TemplateInstance policy(@PathParam("name") String name) {
        if (name.length() > 253) {
            throw new PageException(404, "No such policy", "no policy of that name");
        }
        viewer.requireRead(POLICIES + "/" + name);
        PolicyCatalog.Entry e = catalog.get(name).orElseThrow(() -> new PageException(404, "No such policy",
                "no policy '" + name + "'"));
        MeshPolicy p = e.policy();
        return Templates.policy(viewer.nav("policies"), new PolicyDetail(p.name(), p.spec().type().name(),
                p.spec().mode().wire(), e.source().name(), e.file(), Documents.toYaml(PolicyCodec.write(p))));
    }

    @GET
    @Path("helm")
    public TemplateInstance helm() {
        Report report = latest.get().orElse(null);
        if (report == null) {
            viewer.requireRead(OverviewResource.REPORT);
            return Templates.helm(viewer.nav("helm"), false, List.of(), HelmOverlays.REPO_NOTE);
        }
        HelmOverlays.Folded folded = HelmOverlays.fold(report.result().findings(), x -> true);
        List<Release> releases = new ArrayList<>();
        for (Map.Entry<String, HelmRelease.Chart> c : report.helmCharts().entrySet()) {
            String[] nsName = c.getKey().split("/", 2);
            if (!viewer.may("GET", "/api/v1/helm/" + nsName[0] + "/" + nsName[1] + "/overlay", false)) {
                continue;
            }
            HelmOverlays.Overlay o = folded.overlays().get(c.getKey());
            boolean compliant = o == null || o.values().isEmpty();
            releases.add(new Release(c.getKey(), c.getValue().name(), c.getValue().version(), compliant,
                    compliant ? "{}\n" : Documents.toYaml(o.values()), HelmOverlays.upgradeCommand(c.getValue(),
                            nsName[0], nsName[1], "overlay.yaml"), o == null ? List.of()
                                    : new ArrayList<>(new java.util.TreeSet<>(o.findings())),
                    o != null && o.restartsPods()));
        }
        return Templates.helm(viewer.nav("helm"), true, releases, HelmOverlays.REPO_NOTE);
    }
}

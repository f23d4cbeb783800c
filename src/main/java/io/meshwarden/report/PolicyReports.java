package io.meshwarden.report;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshwarden.evaluate.Finding;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.Severity;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Publishes the latest findings as wg-policy reports ({@code wgpolicyk8s.io/v1alpha2}) so that tools that read
 * that API (Policy Reporter, kubectl, dashboards) see Meshwarden's results next to other policy engines'.
 *
 * <p>Layout: one {@code PolicyReport} named {@value #NAME} per namespace with findings, holding the findings on
 * objects in that namespace, and one {@code ClusterPolicyReport} {@value #NAME} for findings on cluster-scoped
 * objects (namespace null, e.g. Sail {@code Istio}). Helm release findings carry the release's namespace (the
 * namespace its release Secret lives in), so they go to that namespace's report: the people who own the release
 * look there, and a cluster report would mix every team's releases.
 *
 * <p>Schema choices:
 * <ul>
 * <li>{@code result}: {@code fail} for danger, {@code warn} for warning, so that tools that only alert on
 * {@code fail} keep the distinction Meshwarden makes; {@code severity}: danger → high, warning → medium.</li>
 * <li>{@code summary}: fail/warn count every finding of the report's scope, even those cut by the cap (as
 * Gatekeeper's totalViolations does), so the totals stay true; pass/error/skip are 0 because the evaluation only
 * counts passed checks mesh-wide, not per namespace.</li>
 * <li>{@code scope} is omitted: a report covers many objects, not one.</li>
 * <li>{@code properties}: path, expected, actual and (when involved) helmRelease "namespace/name@revision", each
 * only when present, values clipped to {@value #MAX_PROPERTY} characters to keep the object bounded.</li>
 * <li>Cap: at most {@code maxResults} results per report, danger first then report order
 * ({@link Finding#ORDER}); a capped report is annotated {@value #TRUNCATED} = "N of M".</li>
 * </ul>
 *
 * <p>Ownership: only reports labelled {@value #MANAGED_BY}={@value #MANAGER} and named {@value #NAME} are ever
 * replaced or deleted. A report of that name without the label belongs to someone else; it is left alone and
 * listed in {@link Result#foreign()}. A stale report (its namespace has no findings now, or no cluster-scoped
 * findings remain) is deleted rather than left empty, so that a report's existence means "there are findings".
 *
 * <p>When the API server does not serve a kind (the wg-policy CRDs are not installed), nothing of that kind is
 * written or deleted and {@link Result#notes()} says so. Write failures of one report do not stop the others;
 * they are listed in {@link Result#failed()}.
 */
public class PolicyReports {
    public static final String GROUP = "wgpolicyk8s.io";
    public static final String VERSION = "v1alpha2";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    public static final String NAMESPACED_KIND = "PolicyReport";
    public static final String CLUSTER_KIND = "ClusterPolicyReport";
    public static final String NAME = "meshwarden";
    public static final String MANAGED_BY = Ownership.MANAGED_BY;
    public static final String MANAGER = "meshwarden";
    public static final String TRUNCATED = "meshwarden.io/truncated";
    public static final String SOURCE = "meshwarden";
    public static final int DEFAULT_MAX_RESULTS = 500;
    static final int MAX_PROPERTY = 1024;
    /** Conflicting writers (another replica) can bump the resourceVersion between our read and our write. */
    private static final int ATTEMPTS = 3;

    private static final ResourceDefinitionContext NAMESPACED = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind(NAMESPACED_KIND).withPlural("policyreports")
            .withNamespaced(true).build();
    private static final ResourceDefinitionContext CLUSTER = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind(CLUSTER_KIND).withPlural("clusterpolicyreports")
            .withNamespaced(false).build();

    /** Danger first, then the order the report lists findings in. */
    static final Comparator<Finding> CAP_ORDER = Comparator
            .comparing((Finding f) -> f.severity() == Severity.DANGER ? 0 : 1).thenComparing(Finding.ORDER);

    /**
     * What one {@link #write} did. Reports are named "PolicyReport namespace/meshwarden" or
     * "ClusterPolicyReport meshwarden".
     *
     * @param unserved  kinds the API server does not serve; nothing of those kinds was touched
     * @param written   reports created or replaced
     * @param deleted   stale Meshwarden reports removed
     * @param truncated capped reports to "N of M" (results kept of findings in scope)
     * @param foreign   reports named meshwarden but not labelled as ours; left untouched
     * @param failed    reports whose write or delete failed, to the API's message
     * @param notes     human-readable explanations (why nothing was written, what was capped)
     */
    public record Result(List<String> unserved, List<String> written, List<String> deleted,
            Map<String, String> truncated, List<String> foreign, Map<String, String> failed, List<String> notes) {
        public Result {
            unserved = List.copyOf(unserved);
            written = List.copyOf(written);
            deleted = List.copyOf(deleted);
            truncated = java.util.Collections.unmodifiableMap(new TreeMap<>(truncated));
            foreign = List.copyOf(foreign);
            failed = java.util.Collections.unmodifiableMap(new TreeMap<>(failed));
            notes = List.copyOf(notes);
        }
    }

    private final KubernetesClient client;
    private final int maxResults;

    public PolicyReports(KubernetesClient client) {
        this(client, DEFAULT_MAX_RESULTS);
    }

    public PolicyReports(KubernetesClient client, int maxResults) {
        if (maxResults < 1) {
            throw new IllegalArgumentException("maxResults must be at least 1, got " + maxResults);
        }
        this.client = Objects.requireNonNull(client, "client");
        this.maxResults = maxResults;
    }

    public Result write(Report report) {
        Run run = new Run();
        Set<String> served = servedKinds(run);
        if (served == null) {
            return run.result();
        }
        // Bucket by namespace; TreeMap so writes (and the Result) come in a stable order.
        Map<String, List<Finding>> byNamespace = new TreeMap<>();
        List<Finding> clusterScoped = new ArrayList<>();
        for (Finding f : report.result().findings()) {
            String ns = f.resource() == null ? null : f.resource().namespace();
            if (ns == null || ns.isEmpty()) {
                clusterScoped.add(f);
            } else {
                byNamespace.computeIfAbsent(ns, k -> new ArrayList<>()).add(f);
            }
        }
        if (served.contains(NAMESPACED_KIND)) {
            for (Map.Entry<String, List<Finding>> e : byNamespace.entrySet()) {
                upsert(run, NAMESPACED, e.getKey(), e.getValue(), report.generatedAt());
            }
            deleteStale(run, byNamespace.keySet());
        } else {
            run.unserved.add(NAMESPACED_KIND);
            run.notes.add(API_VERSION + " " + NAMESPACED_KIND + " is not served (CRD not installed): "
                    + "no PolicyReports written" + (byNamespace.isEmpty() ? "" : " for " + byNamespace.size()
                    + " namespace(s) with findings"));
        }
        if (served.contains(CLUSTER_KIND)) {
            if (clusterScoped.isEmpty()) {
                deleteStaleCluster(run);
            } else {
                upsert(run, CLUSTER, null, clusterScoped, report.generatedAt());
            }
        } else {
            run.unserved.add(CLUSTER_KIND);
            run.notes.add(API_VERSION + " " + CLUSTER_KIND + " is not served (CRD not installed): "
                    + "no ClusterPolicyReport written" + (clusterScoped.isEmpty() ? ""
                    : " for " + clusterScoped.size() + " cluster-scoped finding(s)"));
        }
        return run.result();
    }

    private static final class Run {
        final List<String> unserved = new ArrayList<>();
        final List<String> written = new ArrayList<>();
        final List<String> deleted = new ArrayList<>();
        final Map<String, String> truncated = new LinkedHashMap<>();
        final List<String> foreign = new ArrayList<>();
        final Map<String, String> failed = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();

        Result result() {
            return new Result(unserved, written, deleted, truncated, foreign, failed, notes);
        }
    }

    /** Kinds of wgpolicyk8s.io/v1alpha2 the server serves; null (with a note) when discovery itself failed. */
    private Set<String> servedKinds(Run run) {
        APIResourceList list;
        try {
            list = client.getApiResources(API_VERSION);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                run.notes.add("cannot discover " + API_VERSION + " (HTTP " + e.getCode() + "): " + e.getMessage()
                        + "; no policy reports written");
                return null;
            }
            list = null;
        }
        Set<String> kinds = new TreeSet<>();
        if (list != null && list.getResources() != null) {
            for (APIResource r : list.getResources()) {
                // Subresources (policyreports/status) share the kind; only the resource itself counts.
                if (r.getName() != null && r.getName().indexOf('/') < 0) {
                    kinds.add(r.getKind());
                }
            }
        }
        return kinds;
    }

    private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> op(ResourceDefinitionContext context) {
        return client.genericKubernetesResources(context);
    }

    private Resource<GenericKubernetesResource> named(ResourceDefinitionContext context, String namespace) {
        NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
                Resource<GenericKubernetesResource>> scoped = namespace == null
                        ? op(context) : op(context).inNamespace(namespace);
        return scoped.withName(NAME);
    }

    private static String id(ResourceDefinitionContext context, String namespace) {
        return context.getKind() + " " + (namespace == null ? NAME : namespace + "/" + NAME);
    }

    private static boolean ours(GenericKubernetesResource r) {
        Map<String, String> labels = r.getMetadata() == null ? null : r.getMetadata().getLabels();
        return labels != null && MANAGER.equals(labels.get(MANAGED_BY));
    }

    private void upsert(Run run, ResourceDefinitionContext context, String namespace, List<Finding> findings,
            Instant at) {
        String id = id(context, namespace);
        GenericKubernetesResource desired = build(context, namespace, findings, at, run, id);
        KubernetesClientException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                GenericKubernetesResource existing = named(context, namespace).get();
                if (existing == null) {
                    desired.getMetadata().setResourceVersion(null);
                    op(context).resource(desired).create();
                } else if (!ours(existing)) {
                    run.foreign.add(id);
                    run.notes.add(id + " exists but is not labelled " + MANAGED_BY + "=" + MANAGER
                            + "; left untouched");
                    return;
                } else {
                    // Replace with the version just read, so a concurrent writer makes this fail, not vanish.
                    desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
                    op(context).resource(desired).update();
                }
                run.written.add(id);
                return;
            } catch (KubernetesClientException e) {
                last = e;
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                    break;
                }
            }
        }
        run.failed.put(id, last.getCode() + ": " + last.getMessage());
    }

    private GenericKubernetesResource build(ResourceDefinitionContext context, String namespace,
            List<Finding> findings, Instant at, Run run, String id) {
        List<Finding> sorted = new ArrayList<>(findings);
        sorted.sort(CAP_ORDER);
        int fail = 0;
        int warn = 0;
        for (Finding f : sorted) {
            if (f.severity() == Severity.DANGER) {
                fail++;
            } else {
                warn++;
            }
        }
        List<Finding> kept = sorted.size() > maxResults ? sorted.subList(0, maxResults) : sorted;

        ObjectMeta meta = new ObjectMeta();
        meta.setName(NAME);
        meta.setNamespace(namespace);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED_BY, MANAGER);
        meta.setLabels(labels);
        if (kept.size() < sorted.size()) {
            String value = kept.size() + " of " + sorted.size();
            meta.setAnnotations(new LinkedHashMap<>(Map.of(TRUNCATED, value)));
            run.truncated.put(id, value);
            run.notes.add(id + ": results truncated to " + value + " (danger first)");
        }

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("pass", 0);
        summary.put("fail", fail);
        summary.put("warn", warn);
        summary.put("error", 0);
        summary.put("skip", 0);

        Map<String, Object> timestamp = new LinkedHashMap<>();
        timestamp.put("seconds", at.getEpochSecond());
        timestamp.put("nanos", at.getNano());

        List<Object> results = new ArrayList<>(kept.size());
        for (Finding f : kept) {
            results.add(result(f, timestamp));
        }

        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(API_VERSION);
        r.setKind(context.getKind());
        r.setMetadata(meta);
        r.setAdditionalProperty("summary", summary);
        r.setAdditionalProperty("results", results);
        return r;
    }

    private static Map<String, Object> result(Finding f, Map<String, Object> timestamp) {
        boolean danger = f.severity() == Severity.DANGER;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", f.policy());
        m.put("rule", f.rule());
        if (f.type() != null) {
            m.put("category", f.type().name());
        }
        m.put("severity", danger ? "high" : "medium");
        m.put("result", danger ? "fail" : "warn");
        if (f.message() != null) {
            m.put("message", f.message());
        }
        m.put("source", SOURCE);
        m.put("timestamp", timestamp);
        ResourceRef ref = f.resource();
        if (ref != null) {
            Map<String, Object> obj = new LinkedHashMap<>();
            obj.put("apiVersion", ref.apiVersion());
            obj.put("kind", ref.kind());
            if (ref.namespace() != null) {
                obj.put("namespace", ref.namespace());
            }
            obj.put("name", ref.name());
            m.put("resources", List.of(obj));
        }
        Map<String, String> props = new LinkedHashMap<>();
        putClipped(props, "path", f.path());
        putClipped(props, "expected", f.expected());
        putClipped(props, "actual", f.actual());
        HelmRef h = f.helmRelease();
        if (h != null) {
            props.put("helmRelease", h.namespace() + "/" + h.name() + "@" + h.revision());
        }
        if (!props.isEmpty()) {
            m.put("properties", props);
        }
        return m;
    }

    private static void putClipped(Map<String, String> props, String key, String value) {
        if (value != null) {
            props.put(key, value.length() <= MAX_PROPERTY ? value : value.substring(0, MAX_PROPERTY - 1) + "…");
        }
    }

    /** Deletes our namespaced reports outside {@code keep}; a namespace-wide list so vanished namespaces' go too. */
    private void deleteStale(Run run, Set<String> keep) {
        List<GenericKubernetesResource> ours;
        try {
            ours = op(NAMESPACED).inAnyNamespace().withLabel(MANAGED_BY, MANAGER).list().getItems();
        } catch (KubernetesClientException e) {
            run.failed.put(NAMESPACED_KIND + " list", e.getCode() + ": " + e.getMessage());
            return;
        }
        for (GenericKubernetesResource r : ours) {
            String ns = r.getMetadata().getNamespace();
            // The label alone is easy to copy; the name too makes it unambiguously a report this class wrote.
            if (!NAME.equals(r.getMetadata().getName()) || !ours(r) || keep.contains(ns)) {
                continue;
            }
            delete(run, NAMESPACED, ns);
        }
    }

    private void deleteStaleCluster(Run run) {
        try {
            GenericKubernetesResource existing = named(CLUSTER, null).get();
            if (existing == null || !ours(existing)) {
                return;
            }
        } catch (KubernetesClientException e) {
            run.failed.put(id(CLUSTER, null), e.getCode() + ": " + e.getMessage());
            return;
        }
        delete(run, CLUSTER, null);
    }

    private void delete(Run run, ResourceDefinitionContext context, String namespace) {
        String id = id(context, namespace);
        try {
            named(context, namespace).delete();
            run.deleted.add(id);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                run.failed.put(id, e.getCode() + ": " + e.getMessage());
            }
        }
    }
}

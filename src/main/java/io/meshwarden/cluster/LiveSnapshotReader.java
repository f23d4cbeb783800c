package io.meshwarden.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meshwarden.model.ClusterSnapshot;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads a {@link ClusterSnapshot} from a live cluster through the API server.
 *
 * <p>Every kind is listed in pages ({@code limit}/{@code continue}) and each page is trimmed by
 * {@link ClusterSnapshotBuilder} before the next is requested, so memory holds one page of full objects at most.
 * Items are fetched as {@link GenericKubernetesResource}s so that built-in kinds and Istio CRDs share one code path
 * and the builder gets plain JSON trees either way.
 *
 * <p>The Istio kinds are optional: a cluster without a given CRD (or serving none of the versions read here) gets
 * that kind recorded in {@link Result#skippedApis()} and the read goes on. Any error on a core kind, and any error
 * other than "not found" on an optional kind, fails the read with a {@link LiveReadException}: a snapshot silently
 * missing, say, every PDB because of RBAC would produce confident but wrong findings.
 *
 * <p>Transient failures (429, 5xx, timeouts, dropped connections) are retried within the bounds of an
 * {@link ApiRetry}; a list page is retried on its own, so a retry never re-reads pages already built into the
 * snapshot. A continue token that expired (410) is resumed from the position the API server offers; when it offers
 * none, the whole read starts again once, since the builder already holds that kind's earlier pages.
 *
 * <p>Instances hold no state between reads and may be shared; a single read is not parallel.
 */
public final class LiveSnapshotReader {
    public static final int DEFAULT_PAGE_SIZE = 500;

    /**
     * Helm keeps up to ten revisions per release and the builder drops all but deployed ones by their status label;
     * leaving superseded ones on the server avoids transferring most of them. {@code !=} also matches Secrets
     * without the label, which the builder decodes to find their status.
     */
    static final String HELM_RELEASE_SELECTOR = "owner=helm,status!=superseded";
    static final String ADDON_CONFIG_SELECTOR = "app.kubernetes.io/name in (kiali,grafana)";
    static final String HELM_TYPE_SELECTOR = "type=" + HelmReleaseDecoder.SECRET_TYPE;
    static final String RUNNING_PODS_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed";
    private static final java.util.Set<String> FINISHED_PHASES = java.util.Set.of("Succeeded", "Failed");
    /** A release Secret holds the gzipped chart and rendered manifest, up to the 1 MiB object limit. */
    static final int HELM_PAGE_SIZE = 50;

    private final KubernetesClient client;
    private final ApiRetry retry;
    private final int pageSize;
    private final String istioNamespace;
    private final List<LiveApi> apis;

    public LiveSnapshotReader(KubernetesClient client) {
        this(client, DEFAULT_PAGE_SIZE, ClusterSnapshotBuilder.DEFAULT_ISTIO_NAMESPACE);
    }

    /**
     * @param pageSize       items per list request; large clusters trade memory per page against request count.
     *                       Helm release Secrets are read at most {@value #HELM_PAGE_SIZE} at a time whatever this is
     * @param istioNamespace where istiod's mesh ConfigMaps ({@code istio}, {@code istio-<revision>}) are read from
     */
    public LiveSnapshotReader(KubernetesClient client, int pageSize, String istioNamespace) {
        this(client, pageSize, istioNamespace, ApiRetry.DEFAULT);
    }

    /** @param retry how transient API failures are retried; the client's own retry is bypassed */
    public LiveSnapshotReader(KubernetesClient client, int pageSize, String istioNamespace, ApiRetry retry) {
        this.client = ApiRetry.singleAttempt(Objects.requireNonNull(client, "client"));
        this.retry = Objects.requireNonNull(retry, "retry");
        if (pageSize <= 0) {
            throw new IllegalArgumentException("pageSize must be positive, got " + pageSize);
        }
        if (istioNamespace == null || istioNamespace.isEmpty()) {
            throw new IllegalArgumentException("istioNamespace is required");
        }
        this.pageSize = pageSize;
        this.istioNamespace = istioNamespace;
        this.apis = apis(istioNamespace);
    }

    /**
     * What was read and what it cost.
     *
     * @param skippedApis       optional APIs the cluster does not serve, by resource name
     *                          ({@code envoyfilters.networking.istio.io}), in reading order
     * @param warnings          things that did not fail the read but make it less exact (an expired continue token)
     * @param listRequests      list calls made, pages included, failed and retried ones too
     * @param discoveryRequests API discovery calls made to find out which optional APIs exist
     * @param itemsListed       objects the API server returned, before any filtering
     */
    public record Result(ClusterSnapshot snapshot, List<String> skippedApis, List<String> warnings, int listRequests,
            int discoveryRequests, int itemsListed) {
        public Result {
            Objects.requireNonNull(snapshot, "snapshot");
            skippedApis = List.copyOf(skippedApis);
            warnings = List.copyOf(warnings);
        }

        /** All API requests: list plus discovery. */
        public int requests() {
            return listRequests + discoveryRequests;
        }
    }

    public int pageSize() {
        return pageSize;
    }

    public String istioNamespace() {
        return istioNamespace;
    }

    /** The snapshot alone; see {@link #readWithDiagnostics()} for what was skipped. */
    public ClusterSnapshot read() {
        return readWithDiagnostics().snapshot();
    }

    /**
     * @throws LiveReadException        a core kind, or an optional kind that exists, could not be listed
     * @throws IllegalArgumentException an object the builder rejects (the message names it)
     * @throws HelmReleaseException     a Helm release Secret that cannot be decoded
     */
    public Result readWithDiagnostics() {
        Run first = new Run();
        try {
            return first.read();
        } catch (Restart r) {
            Run second = new Run();
            second.warnings.add(r.getMessage());
            second.listRequests = first.listRequests;
            second.discoveryRequests = first.discoveryRequests;
            second.itemsListed = first.itemsListed;
            second.restarted = true;
            return second.read();
        }
    }

    /** A list cannot go on and must start over, with every kind, from a fresh builder. */
    private static final class Restart extends RuntimeException {
        Restart(String message) {
            super(message, null, false, false);
        }
    }

    static List<LiveApi> apis(String istioNamespace) {
        List<LiveApi> list = new ArrayList<>();
        list.add(LiveApi.core("", "v1", "namespaces", "Namespace", false));
        // Kubelet versions decide whether ENABLE_NATIVE_SIDECARS=auto turns native sidecars on.
        list.add(LiveApi.core("", "v1", "nodes", "Node", false));
        list.add(LiveApi.core("apps", "v1", "deployments", "Deployment", true));
        list.add(LiveApi.core("apps", "v1", "statefulsets", "StatefulSet", true));
        list.add(LiveApi.core("apps", "v1", "daemonsets", "DaemonSet", true));
        // Running pods, counted per owning workload as each page arrives (sidecar coverage); finished pods are
        // skipped on the server where it honours the field selector, and by the builder anyway.
        list.add(LiveApi.core("", "v1", "pods", "Pod", true).selecting(null, RUNNING_PODS_SELECTOR,
                r -> !FINISHED_PHASES.contains(phase(r))));
        list.add(LiveApi.core("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true));
        list.add(LiveApi.core("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true));
        list.add(LiveApi.core("batch", "v1", "jobs", "Job", true));
        list.add(LiveApi.core("batch", "v1", "cronjobs", "CronJob", true));
        // No server-side name-prefix filter exists; the istio namespace is small, so list it and drop the rest here.
        list.add(LiveApi.core("", "v1", "configmaps", "ConfigMap", true).in(istioNamespace).selecting(null, null,
                r -> isMeshConfigName(LiveApi.name(r))));
        // Real API servers honour the type field selector on Secrets; mocks and proxies may not, hence the filter.
        list.add(LiveApi.core("", "v1", "secrets", "Secret", true).selecting(HELM_RELEASE_SELECTOR, HELM_TYPE_SELECTOR,
                r -> LiveApi.hasLabel(r, "owner", "helm")
                        && HelmReleaseDecoder.SECRET_TYPE.equals(r.getAdditionalProperties().get("type")))
                .pagesOfAtMost(HELM_PAGE_SIZE));
        // HELM_DRIVER=configmap keeps the same records in ConfigMaps of the same names and labels.
        list.add(LiveApi.core("", "v1", "configmaps", "ConfigMap", true).selecting(HELM_RELEASE_SELECTOR, null,
                r -> LiveApi.hasLabel(r, "owner", "helm") && LiveApi.name(r) != null
                        && LiveApi.name(r).startsWith("sh.helm.release.v1.")).pagesOfAtMost(HELM_PAGE_SIZE));
        // Exposure of add-ons and what ServiceMonitors select.
        list.add(LiveApi.core("", "v1", "services", "Service", true));
        // Only the add-ons' configuration ConfigMaps (Kiali's config.yaml, Grafana's grafana.ini), by the label the
        // sample manifests and the upstream charts set.
        list.add(LiveApi.core("", "v1", "configmaps", "ConfigMap", true).selecting(ADDON_CONFIG_SELECTOR, null,
                r -> !isMeshConfigName(LiveApi.name(r))));
        // Newest first: a cluster serving v1 also serves the older versions, so the first hit is the preferred one.
        list.add(LiveApi.optional("networking.istio.io", List.of("v1alpha3"), "envoyfilters", "EnvoyFilter", true));
        list.add(LiveApi.optional("networking.istio.io", List.of("v1", "v1beta1", "v1alpha3"), "gateways", "Gateway",
                true));
        list.add(LiveApi.optional("networking.istio.io", List.of("v1", "v1beta1", "v1alpha3"), "virtualservices",
                "VirtualService", true));
        list.add(LiveApi.optional("telemetry.istio.io", List.of("v1", "v1alpha1"), "telemetries", "Telemetry", true));
        list.add(LiveApi.optional("sailoperator.io", List.of("v1", "v1alpha1"), "istios", "Istio", false));
        list.add(LiveApi.optional("install.istio.io", List.of("v1alpha1"), "istiooperators", "IstioOperator", true));
        // prometheus-operator and the Kiali operator: optional like Istio's own kinds (absent CRD = skipped, noted).
        list.add(LiveApi.optional("monitoring.coreos.com", List.of("v1"), "servicemonitors", "ServiceMonitor", true));
        list.add(LiveApi.optional("monitoring.coreos.com", List.of("v1"), "podmonitors", "PodMonitor", true));
        list.add(LiveApi.optional("monitoring.coreos.com", List.of("v1"), "prometheusrules", "PrometheusRule", true));
        list.add(LiveApi.optional("kiali.io", List.of("v1alpha1"), "kialis", "Kiali", true));
        return List.copyOf(list);
    }

    private static String phase(GenericKubernetesResource r) {
        Object status = r.getAdditionalProperties().get("status");
        Object phase = status instanceof Map<?, ?> m ? m.get("phase") : null;
        return phase instanceof String p ? p : "";
    }

    static boolean isMeshConfigName(String name) {
        return name != null && (name.equals("istio") || name.startsWith("istio-"));
    }

    /** The state of one read. */
    private final class Run {
        private final ClusterSnapshotBuilder builder = new ClusterSnapshotBuilder(istioNamespace,
                ClusterSnapshotBuilder.DEFAULT_NAMESPACE, new HelmReleaseDecoder());
        private final KubernetesSerialization serialization = client.getKubernetesSerialization();
        /** Group-version to the resource names it serves; one discovery call per group-version. */
        private final Map<String, List<String>> served = new HashMap<>();
        private final List<String> skipped = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();
        private int listRequests;
        private int discoveryRequests;
        private int itemsListed;
        private boolean restarted;

        Result read() {
            for (LiveApi api : apis) {
                if (!api.optional()) {
                    readAll(api, api.versions().get(0));
                    continue;
                }
                String version = servedVersion(api);
                // A CRD deleted between discovery and the list also lands here, via the 404.
                if (version == null || !readAll(api, version)) {
                    skipped.add(api.resourceName());
                }
            }
            return new Result(builder.build(), skipped, warnings, listRequests, discoveryRequests, itemsListed);
        }

        /** The first of the API's versions that discovery lists it under, or null. */
        private String servedVersion(LiveApi api) {
            for (String version : api.versions()) {
                if (served(LiveApi.apiVersion(api.group(), version)).contains(api.plural())) {
                    return version;
                }
            }
            return null;
        }

        private List<String> served(String groupVersion) {
            List<String> names = served.get(groupVersion);
            if (names != null) {
                return names;
            }
            names = new ArrayList<>();
            APIResourceList resources;
            try {
                resources = retry.call(() -> {
                    discoveryRequests++;
                    return client.getApiResources(groupVersion);
                });
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                    throw new LiveReadException(groupVersion, e.getCode(),
                            "cannot discover the resources of " + groupVersion + ": " + reason(e), e);
                }
                resources = null;
            }
            if (resources != null && resources.getResources() != null) {
                for (APIResource r : resources.getResources()) {
                    // Subresources (istios/status) are listed too; only the resources themselves matter.
                    if (r.getName() != null && r.getName().indexOf('/') < 0) {
                        names.add(r.getName());
                    }
                }
            }
            served.put(groupVersion, names);
            return names;
        }

        /** @return false when an optional API answered 404 (nothing was added) */
        private boolean readAll(LiveApi api, String version) {
            String apiVersion = LiveApi.apiVersion(api.group(), version);
            ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(api.group())
                    .withVersion(version).withPlural(api.plural()).withKind(api.kind())
                    .withNamespaced(api.namespaced()).build();
            MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
                    Resource<GenericKubernetesResource>> op = client.genericKubernetesResources(context);
            String origin = "the API server (" + api.resourceName() + "/" + version + ")";
            String token = null;
            int pages = 0;
            int items = 0;
            do {
                ListOptions options = new ListOptionsBuilder().withLimit((long) api.pageSize(pageSize))
                        .withContinue(token).withLabelSelector(api.labelSelector())
                        .withFieldSelector(api.fieldSelector()).build();
                GenericKubernetesResourceList page;
                try {
                    page = retry.call(() -> {
                        listRequests++;
                        if (!api.namespaced()) {
                            return op.list(options);
                        } else if (api.namespace() == null) {
                            return op.inAnyNamespace().list(options);
                        }
                        return op.inNamespace(api.namespace()).list(options);
                    });
                } catch (KubernetesClientException e) {
                    if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND && api.optional() && pages == 0) {
                        return false;
                    }
                    String resume = expiredContinuation(e, token);
                    if (resume != null) {
                        warnings.add(api.describe(version) + ": the continue token expired after " + items
                                + " items; the rest was read from a later state of the cluster");
                        token = resume;
                        continue;
                    }
                    if (token != null && e.getCode() == HttpURLConnection.HTTP_GONE && !restarted) {
                        throw new Restart(api.describe(version) + ": the continue token expired after " + items
                                + " items and the API server offered no way to resume; the read was started again");
                    }
                    throw new LiveReadException(api.resourceName(), e.getCode(), "cannot list " + api.describe(version)
                            + (pages == 0 ? "" : " (page " + (pages + 1) + ")") + ": " + reason(e), e);
                }
                pages++;
                List<GenericKubernetesResource> list = page.getItems() == null ? List.of() : page.getItems();
                itemsListed += list.size();
                items += list.size();
                for (GenericKubernetesResource item : list) {
                    if (api.keep().test(item)) {
                        builder.add(toJson(item, apiVersion, api.kind()), origin);
                    }
                }
                String next = continueToken(page.getMetadata());
                if (next != null && next.equals(token)) {
                    throw new LiveReadException(api.resourceName(), 0, "cannot list " + api.describe(version)
                            + ": the API server returned the same continue token twice", null);
                }
                token = next;
            } while (token != null);
            return true;
        }

        private JsonNode toJson(GenericKubernetesResource item, String apiVersion, String kind) {
            JsonNode node = serialization.convertValue(item, JsonNode.class);
            // Items of built-in lists come without apiVersion and kind; the builder needs both to classify them.
            if (node instanceof ObjectNode) {
                ObjectNode object = (ObjectNode) node;
                if (!object.path("apiVersion").isTextual()) {
                    object.put("apiVersion", apiVersion);
                }
                if (!object.path("kind").isTextual()) {
                    object.put("kind", kind);
                }
            }
            return node;
        }
    }

    private static String continueToken(ListMeta meta) {
        String token = meta == null ? null : meta.getContinue();
        return token == null || token.isEmpty() ? null : token;
    }

    /**
     * On 410 Gone for an expired continue token the API server offers, in the Status, a token that continues from
     * the same position in the current state. Restarting the list instead would hand the builder objects it
     * already has, which it rejects as duplicates.
     */
    private static String expiredContinuation(KubernetesClientException e, String token) {
        if (token == null || e.getCode() != HttpURLConnection.HTTP_GONE || e.getStatus() == null) {
            return null;
        }
        String resume = continueToken(e.getStatus().getMetadata());
        return resume == null || resume.equals(token) ? null : resume;
    }

    private static String reason(KubernetesClientException e) {
        return ApiRetry.describe(e);
    }
}

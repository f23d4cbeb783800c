package io.meshwarden.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.cluster.Nodes.StringPool;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.model.Addon;
import io.meshwarden.model.AddonConfig;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioKind;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Node;
import io.meshwarden.model.OperatorKind;
import io.meshwarden.model.OperatorResource;
import io.meshwarden.model.Ownership;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ProxyPlacement;
import io.meshwarden.model.PodDetails;
import io.meshwarden.model.ProxyResources;
import io.meshwarden.model.ServiceInfo;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.LabelSelector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns Kubernetes objects (as JSON trees, e.g. from {@code kubectl get -o yaml}) into a {@link ClusterSnapshot},
 * keeping only what rules need. Objects of other kinds are ignored; objects of a kept kind with a wrong shape are
 * rejected with an {@link IllegalArgumentException} naming the object. Not thread-safe.
 */
public final class ClusterSnapshotBuilder {
    public static final String DEFAULT_ISTIO_NAMESPACE = "istio-system";
    /** What kubectl applies to namespaced objects without a namespace ({@code helm template} output often has none). */
    public static final String DEFAULT_NAMESPACE = "default";
    public static final String ISTIO_PROXY = "istio-proxy";

    /** Repeats the whole object and is often its largest part; no rule reads it. */
    private static final Set<String> DROPPED_ANNOTATIONS = Set.of("kubectl.kubernetes.io/last-applied-configuration");
    private static final ObjectMapper MESH_YAML = new YAMLMapper();

    private final String istioNamespace;
    private final String defaultNamespace;
    private final HelmReleaseDecoder helm;
    private final StringPool pool = new StringPool();

    private final List<NamespaceInfo> namespaces = new ArrayList<>();
    private final List<Workload> workloads = new ArrayList<>();
    private final List<Hpa> hpas = new ArrayList<>();
    private final List<Pdb> pdbs = new ArrayList<>();
    private final List<MeshConfig> meshConfigs = new ArrayList<>();
    private final List<IstioResource> istioResources = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<ServiceInfo> services = new ArrayList<>();
    private final List<AddonConfig> addonConfigs = new ArrayList<>();
    private final List<OperatorResource> operatorResources = new ArrayList<>();
    private final Map<String, HelmRelease> releases = new HashMap<>();
    private final PodTally pods = new PodTally(pool);
    /** Identity to where it was first seen, so a duplicate can name both places. */
    private final Map<String, String> seen = new HashMap<>();

    public ClusterSnapshotBuilder() {
        this(DEFAULT_ISTIO_NAMESPACE, DEFAULT_NAMESPACE, new HelmReleaseDecoder());
    }

    /** @param istioNamespace where istiod's mesh ConfigMaps live */
    public ClusterSnapshotBuilder(String istioNamespace, String defaultNamespace, HelmReleaseDecoder helm) {
        this.istioNamespace = istioNamespace;
        this.defaultNamespace = defaultNamespace;
        this.helm = helm;
    }

    /**
     * Adds one object, or every item of a {@code List}/{@code *List}.
     *
     * @param origin where the object came from, for duplicate messages; may be null
     * @return how many objects were kept
     */
    public int add(JsonNode object, String origin) {
        return add(object, null, null, origin);
    }

    private int add(JsonNode object, String fallbackApiVersion, String fallbackKind, String origin) {
        String kind = textOr(object, "kind", fallbackKind);
        JsonNode items = object.get("items");
        if (isListKind(kind) && items != null && items.isArray()) {
            String apiVersion = textOr(object, "apiVersion", fallbackApiVersion);
            int kept = 0;
            for (JsonNode item : items) {
                kept += add(item, apiVersion, itemKind(kind), origin);
            }
            return kept;
        }
        Object trimmed = trim(object, fallbackApiVersion, fallbackKind);
        return trimmed != null && accept(trimmed, origin) ? 1 : 0;
    }

    public ClusterSnapshot build() {
        return new ClusterSnapshot(namespaces, workloads, hpas, pdbs, meshConfigs, List.copyOf(releases.values()),
                istioResources, nodes, services, addonConfigs, operatorResources, pods.build(workloads));
    }

    static boolean isListKind(String kind) {
        return kind != null && kind.endsWith("List");
    }

    /** Items of a typed list ({@code DeploymentList}) from the API omit kind; {@code List} items never do. */
    static String itemKind(String listKind) {
        return "List".equals(listKind) ? null : listKind.substring(0, listKind.length() - "List".length());
    }

    private static String textOr(JsonNode n, String field, String fallback) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    /**
     * The trimmed record for a kept kind, or null. Fallbacks apply to list items that carry no apiVersion/kind.
     */
    Object trim(JsonNode object, String fallbackApiVersion, String fallbackKind) {
        if (!object.isObject()) {
            throw new IllegalArgumentException("expected a Kubernetes object, found " + object.getNodeType());
        }
        String apiVersion = textOr(object, "apiVersion", fallbackApiVersion);
        String kind = textOr(object, "kind", fallbackKind);
        if (kind == null) {
            return null;
        }
        String group = Nodes.group(apiVersion);
        Optional<WorkloadKind> workloadKind = WorkloadKind.of(group, kind);
        Optional<IstioKind> istioKind = IstioKind.of(group, kind);
        Optional<OperatorKind> operatorKind = OperatorKind.of(group, kind);
        boolean core = group.isEmpty();
        boolean kept = workloadKind.isPresent() || istioKind.isPresent() || operatorKind.isPresent()
                || (core && kind.equals("Namespace")) || (core && kind.equals("Service"))
                || (core && kind.equals("Node")) || (core && kind.equals("Pod"))
                || (core && kind.equals("ConfigMap")) || (core && kind.equals("Secret"))
                || (group.equals("autoscaling") && kind.equals("HorizontalPodAutoscaler"))
                || (group.equals("policy") && kind.equals("PodDisruptionBudget"));
        if (!kept) {
            return null;
        }
        JsonNode meta = Nodes.object(object, "metadata", "metadata");
        String name = meta == null ? null : Nodes.text(meta, "name", "metadata.name");
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(kind + " has no metadata.name");
        }
        String ns = Nodes.text(meta, "namespace", "metadata.namespace");
        ns = pool.string(ns == null || ns.isEmpty() ? defaultNamespace : ns);
        boolean clusterScoped = kind.equals("Namespace") || kind.equals("Node");
        String ref = kind + " " + (clusterScoped ? name : ns + "/" + name);
        try {
            if (workloadKind.isPresent()) {
                return workload(workloadKind.get(), ns, name, meta, object);
            }
            if (istioKind.isPresent()) {
                IstioKind k = istioKind.get();
                return new IstioResource(k, pool.string(apiVersion), k == IstioKind.SAIL_ISTIO ? null : ns, name,
                        labels(meta), annotations(meta), object.get("spec"));
            }
            if (operatorKind.isPresent()) {
                return new OperatorResource(operatorKind.get(), pool.string(apiVersion), ns, name, labels(meta),
                        trimmedSpec(operatorKind.get(), object.get("spec")));
            }
            switch (kind) {
                case "Service":
                    return service(ns, name, meta, object);
                case "Pod":
                    return pods.sample(ns, name, meta, object);
                case "Namespace":
                    return new NamespaceInfo(name, labels(meta), annotations(meta));
                case "Node":
                    return new Node(name, pool.string(Nodes.text(orEmpty(Nodes.object(orEmpty(Nodes.object(object,
                            "status", "status")), "nodeInfo", "status.nodeInfo")), "kubeletVersion",
                            "status.nodeInfo.kubeletVersion")));
                case "HorizontalPodAutoscaler":
                    return hpa(ns, name, meta, object);
                case "PodDisruptionBudget":
                    return pdb(ns, name, apiVersion, meta, object);
                case "ConfigMap":
                    if (HelmReleaseDecoder.isReleaseConfigMap(object)) {
                        return helmRelease(ns, name, object);
                    }
                    MeshConfig mesh = meshConfig(ns, name, object);
                    return mesh != null ? mesh : addonConfig(ns, name, meta, object);
                case "Secret":
                    return helmRelease(ns, name, object);
                default:
                    return null;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ref + ": " + e.getMessage(), e);
        }
    }

    /** @return false when the object was dropped (a Helm release that is not the latest deployed one) */
    boolean accept(Object trimmed, String origin) {
        if (trimmed instanceof HelmRelease) {
            HelmRelease r = (HelmRelease) trimmed;
            if (!r.isDeployed()) {
                return false;
            }
            releases.merge(r.namespace() + "/" + r.name(), r, (a, b) -> b.revision() > a.revision() ? b : a);
            return true;
        }
        String identity = identity(trimmed);
        String where = origin == null ? "an earlier object" : origin;
        String first = seen.putIfAbsent(identity, where);
        if (first != null) {
            throw new IllegalArgumentException("duplicate " + identity + " (first seen at " + first + ")");
        }
        if (trimmed instanceof PodTally.Sample) {
            pods.add((PodTally.Sample) trimmed);
        } else if (trimmed instanceof Workload) {
            workloads.add((Workload) trimmed);
        } else if (trimmed instanceof IstioResource) {
            istioResources.add((IstioResource) trimmed);
        } else if (trimmed instanceof NamespaceInfo) {
            namespaces.add((NamespaceInfo) trimmed);
        } else if (trimmed instanceof Hpa) {
            hpas.add((Hpa) trimmed);
        } else if (trimmed instanceof Pdb) {
            pdbs.add((Pdb) trimmed);
        } else if (trimmed instanceof MeshConfig) {
            meshConfigs.add((MeshConfig) trimmed);
        } else if (trimmed instanceof Node) {
            nodes.add((Node) trimmed);
        } else if (trimmed instanceof ServiceInfo) {
            services.add((ServiceInfo) trimmed);
        } else if (trimmed instanceof AddonConfig) {
            addonConfigs.add((AddonConfig) trimmed);
        } else if (trimmed instanceof OperatorResource) {
            operatorResources.add((OperatorResource) trimmed);
        } else {
            throw new IllegalStateException("not a snapshot record: " + trimmed.getClass());
        }
        return true;
    }

    static String identity(Object o) {
        if (o instanceof PodTally.Sample) {
            return ((PodTally.Sample) o).identity();
        } else if (o instanceof Workload) {
            return ((Workload) o).ref();
        } else if (o instanceof IstioResource) {
            return ((IstioResource) o).ref();
        } else if (o instanceof NamespaceInfo) {
            return "Namespace " + ((NamespaceInfo) o).name();
        } else if (o instanceof Hpa) {
            return "HorizontalPodAutoscaler " + ((Hpa) o).namespace() + "/" + ((Hpa) o).name();
        } else if (o instanceof Pdb) {
            return "PodDisruptionBudget " + ((Pdb) o).namespace() + "/" + ((Pdb) o).name();
        } else if (o instanceof MeshConfig) {
            return "ConfigMap " + ((MeshConfig) o).namespace() + "/" + ((MeshConfig) o).configMapName();
        } else if (o instanceof Node) {
            return "Node " + ((Node) o).name();
        } else if (o instanceof ServiceInfo) {
            return ((ServiceInfo) o).ref();
        } else if (o instanceof AddonConfig) {
            return ((AddonConfig) o).ref();
        } else if (o instanceof OperatorResource) {
            return ((OperatorResource) o).ref();
        }
        throw new IllegalStateException("not a snapshot record: " + o.getClass());
    }

    private Map<String, String> labels(JsonNode meta) {
        return Nodes.stringMap(meta, "labels", "metadata.labels", pool, Set.of());
    }

    private Map<String, String> annotations(JsonNode meta) {
        return Nodes.stringMap(meta, "annotations", "metadata.annotations", pool, DROPPED_ANNOTATIONS);
    }

    private Workload workload(WorkloadKind kind, String ns, String name, JsonNode meta, JsonNode object) {
        JsonNode spec = orEmpty(Nodes.object(object, "spec", "spec"));
        Integer replicas = Nodes.integer(spec, "replicas", "spec.replicas");
        JsonNode template;
        String templatePath;
        if (kind == WorkloadKind.CRON_JOB) {
            JsonNode jobTemplate = orEmpty(Nodes.object(spec, "jobTemplate", "spec.jobTemplate"));
            JsonNode jobSpec = orEmpty(Nodes.object(jobTemplate, "spec", "spec.jobTemplate.spec"));
            templatePath = "spec.jobTemplate.spec.template";
            template = orEmpty(Nodes.object(jobSpec, "template", templatePath));
        } else {
            templatePath = "spec.template";
            template = orEmpty(Nodes.object(spec, "template", templatePath));
        }
        JsonNode podMeta = orEmpty(Nodes.object(template, "metadata", templatePath + ".metadata"));
        Map<String, String> labels = labels(meta);
        Map<String, String> podLabels = Nodes.stringMap(podMeta, "labels", templatePath + ".metadata.labels", pool,
                Set.of());
        Map<String, String> podAnnotations = Nodes.stringMap(podMeta, "annotations",
                templatePath + ".metadata.annotations", pool, DROPPED_ANNOTATIONS);

        JsonNode podSpec = orEmpty(Nodes.object(template, "spec", templatePath + ".spec"));
        ProxyPlacement placement = ProxyPlacement.NONE;
        JsonNode proxy = null;
        for (JsonNode c : Nodes.array(podSpec, "containers", templatePath + ".spec.containers")) {
            if (ISTIO_PROXY.equals(c.path("name").asText())) {
                placement = ProxyPlacement.CONTAINER;
                proxy = c;
                break;
            }
        }
        if (proxy == null) {
            for (JsonNode c : Nodes.array(podSpec, "initContainers", templatePath + ".spec.initContainers")) {
                // Without restartPolicy Always an init container must exit before the app starts: not a proxy.
                if (ISTIO_PROXY.equals(c.path("name").asText()) && "Always".equals(c.path("restartPolicy").asText())) {
                    placement = ProxyPlacement.NATIVE_SIDECAR;
                    proxy = c;
                    break;
                }
            }
        }
        ProxyResources resources = null;
        if (proxy != null) {
            String path = templatePath + ".spec." + (placement == ProxyPlacement.CONTAINER ? "" : "init")
                    + "containers[istio-proxy].resources";
            JsonNode r = orEmpty(Nodes.object(proxy, "resources", path));
            resources = new ProxyResources(Nodes.stringMap(r, "requests", path + ".requests", pool, Set.of()),
                    Nodes.stringMap(r, "limits", path + ".limits", pool, Set.of()));
        }
        boolean placeholder = proxy != null && "auto".equals(proxy.path("image").asText());
        return new Workload(kind, ns, name, labels, annotations(meta), replicas, podLabels, podAnnotations,
                placement, resources, placeholder, kind == WorkloadKind.CRON_JOB ? null : selectorLabels(spec),
                addonDetails(name, labels, podLabels, spec, podSpec, templatePath));
    }

    /** Pod details for a workload that looks like an add-on; null (nothing kept) for every other workload. */
    private PodDetails addonDetails(String name, Map<String, String> labels, Map<String, String> podLabels,
            JsonNode spec, JsonNode podSpec, String templatePath) {
        List<String> images = new ArrayList<>();
        for (JsonNode c : Nodes.array(podSpec, "containers", templatePath + ".spec.containers")) {
            images.add(c.path("image").asText(null));
        }
        if (Addon.detect(name, labels, podLabels, images).isEmpty()) {
            return null;
        }
        List<PodDetails.Container> containers = new ArrayList<>();
        for (JsonNode c : Nodes.array(podSpec, "containers", templatePath + ".spec.containers")) {
            JsonNode res = c.path("resources");
            Map<String, String> env = new LinkedHashMap<>();
            Set<String> envFrom = new HashSet<>();
            for (JsonNode e : Nodes.array(c, "env", templatePath + ".spec.containers[].env")) {
                String key = e.path("name").asText(null);
                if (key == null) {
                    continue;
                }
                if (e.has("valueFrom")) {
                    envFrom.add(key);
                } else {
                    env.put(key, e.path("value").asText(""));
                }
            }
            List<String> args = new ArrayList<>();
            for (String field : List.of("command", "args")) {
                for (JsonNode a : Nodes.array(c, field, templatePath + ".spec.containers[]." + field)) {
                    args.add(a.asText());
                }
            }
            containers.add(new PodDetails.Container(c.path("name").asText(""), c.path("image").asText(null),
                    res.path("requests").size() > 0, res.path("limits").size() > 0, env, envFrom, args));
        }
        List<PodDetails.Volume> volumes = new ArrayList<>();
        for (JsonNode v : Nodes.array(podSpec, "volumes", templatePath + ".spec.volumes")) {
            volumes.add(volume(v));
        }
        List<String> claims = new ArrayList<>();
        for (JsonNode t : Nodes.array(spec, "volumeClaimTemplates", "spec.volumeClaimTemplates")) {
            claims.add(t.path("metadata").path("name").asText(""));
        }
        return new PodDetails(containers, volumes, claims);
    }

    private static PodDetails.Volume volume(JsonNode v) {
        String name = v.path("name").asText("");
        if (v.has("emptyDir")) {
            return new PodDetails.Volume(name, PodDetails.Source.EMPTY_DIR, null);
        } else if (v.has("persistentVolumeClaim")) {
            return new PodDetails.Volume(name, PodDetails.Source.PERSISTENT_VOLUME_CLAIM,
                    v.path("persistentVolumeClaim").path("claimName").asText(null));
        } else if (v.has("ephemeral")) {
            return new PodDetails.Volume(name, PodDetails.Source.EPHEMERAL_CLAIM, null);
        } else if (v.has("configMap")) {
            return new PodDetails.Volume(name, PodDetails.Source.CONFIG_MAP, v.path("configMap").path("name")
                    .asText(null));
        } else if (v.has("secret")) {
            return new PodDetails.Volume(name, PodDetails.Source.SECRET, v.path("secret").path("secretName")
                    .asText(null));
        }
        return new PodDetails.Volume(name, PodDetails.Source.OTHER, null);
    }

    private ServiceInfo service(String ns, String name, JsonNode meta, JsonNode object) {
        JsonNode spec = orEmpty(Nodes.object(object, "spec", "spec"));
        List<String> ports = new ArrayList<>();
        for (JsonNode p : Nodes.array(spec, "ports", "spec.ports")) {
            if (p.path("name").isTextual()) {
                ports.add(pool.string(p.path("name").asText()));
            }
        }
        return new ServiceInfo(ns, name, labels(meta), pool.string(Nodes.text(spec, "type", "spec.type")),
                Nodes.stringMap(spec, "selector", "spec.selector", pool, Set.of()), ports);
    }

    /** Only add-on configuration ConfigMaps, and only their configuration key; null for every other ConfigMap. */
    private AddonConfig addonConfig(String ns, String name, JsonNode meta, JsonNode object) {
        Map<String, String> labels = labels(meta);
        String key = null;
        for (Addon a : List.of(Addon.KIALI, Addon.GRAFANA)) {
            if (a.id().equals(name) || a.id().equals(labels.get(Addon.APP))
                    || a.id().equals(labels.get(Addon.APP_NAME))) {
                key = a == Addon.KIALI ? AddonConfig.KIALI_CONFIG : AddonConfig.GRAFANA_INI;
            }
        }
        JsonNode data = Nodes.object(object, "data", "data");
        String text = key == null || data == null ? null : Nodes.text(data, key, "data." + key);
        return text == null ? null : new AddonConfig(ns, name, labels, Map.of(key, text));
    }

    /** What the rules read of an operator resource; the rest (relabelings, annotations of alerts) is dropped. */
    private static JsonNode trimmedSpec(OperatorKind kind, JsonNode spec) {
        if (spec == null || !spec.isObject()) {
            return null;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        switch (kind) {
            case PROMETHEUS_RULE:
                ArrayNode groups = out.putArray("groups");
                for (JsonNode g : spec.path("groups")) {
                    ArrayNode rules = groups.addObject().put("name", g.path("name").asText("")).putArray("rules");
                    for (JsonNode r : g.path("rules")) {
                        ObjectNode rule = rules.addObject();
                        for (String f : List.of("alert", "record", "expr")) {
                            if (r.path(f).isValueNode()) {
                                rule.put(f, r.path(f).asText());
                            }
                        }
                    }
                }
                return out;
            case SERVICE_MONITOR:
            case POD_MONITOR:
                for (String f : List.of("selector", "namespaceSelector", "endpoints", "podMetricsEndpoints")) {
                    if (spec.has(f)) {
                        out.set(f, spec.get(f));
                    }
                }
                return out;
            case KIALI:
                if (spec.has("auth")) {
                    out.set("auth", spec.get("auth"));
                }
                return out;
            default:
                return out;
        }
    }

    /** {@code spec.selector.matchLabels}; null without a selector or with matchExpressions. */
    private Map<String, String> selectorLabels(JsonNode spec) {
        JsonNode sel = Nodes.object(spec, "selector", "spec.selector");
        if (sel == null || Nodes.array(sel, "matchExpressions", "spec.selector.matchExpressions").iterator().hasNext()) {
            return null;
        }
        return Nodes.stringMap(sel, "matchLabels", "spec.selector.matchLabels", pool, Set.of());
    }

    private Hpa hpa(String ns, String name, JsonNode meta, JsonNode object) {
        JsonNode spec = orEmpty(Nodes.object(object, "spec", "spec"));
        JsonNode target = Nodes.object(spec, "scaleTargetRef", "spec.scaleTargetRef");
        String targetKind = target == null ? null : Nodes.text(target, "kind", "spec.scaleTargetRef.kind");
        String targetName = target == null ? null : Nodes.text(target, "name", "spec.scaleTargetRef.name");
        if (targetKind == null || targetName == null) {
            throw new IllegalArgumentException("spec.scaleTargetRef needs kind and name");
        }
        Integer min = Nodes.integer(spec, "minReplicas", "spec.minReplicas");
        Integer max = Nodes.integer(spec, "maxReplicas", "spec.maxReplicas");
        if (max == null) {
            throw new IllegalArgumentException("spec.maxReplicas is required");
        }
        JsonNode status = orEmpty(Nodes.object(object, "status", "status"));
        return new Hpa(ns, name, pool.string(targetKind), targetName, min == null ? 1 : min, max,
                Nodes.integer(status, "desiredReplicas", "status.desiredReplicas"), annotations(meta));
    }

    private Pdb pdb(String ns, String name, String apiVersion, JsonNode meta, JsonNode object) {
        JsonNode spec = orEmpty(Nodes.object(object, "spec", "spec"));
        JsonNode sel = Nodes.object(spec, "selector", "spec.selector");
        LabelSelector selector = null;
        if (sel != null) {
            List<LabelSelector.Requirement> expressions = new ArrayList<>();
            for (JsonNode e : Nodes.array(sel, "matchExpressions", "spec.selector.matchExpressions")) {
                String key = Nodes.text(e, "key", "spec.selector.matchExpressions[].key");
                if (key == null) {
                    throw new IllegalArgumentException("spec.selector.matchExpressions[] needs a key");
                }
                List<String> values = new ArrayList<>();
                for (JsonNode v : Nodes.array(e, "values", "spec.selector.matchExpressions[].values")) {
                    values.add(pool.string(v.asText()));
                }
                expressions.add(new LabelSelector.Requirement(pool.string(key),
                        LabelSelector.Operator.parse(Nodes.text(e, "operator", "operator")), values));
            }
            selector = new LabelSelector(
                    Nodes.stringMap(sel, "matchLabels", "spec.selector.matchLabels", pool, Set.of()), expressions);
            // policy/v1beta1 (removed in Kubernetes 1.25) read an empty selector as "no pods"; v1 as "all pods".
            if (selector.isEmpty() && "policy/v1beta1".equals(apiVersion)) {
                selector = null;
            }
        }
        return new Pdb(ns, name, selector, Nodes.intOrString(spec, "minAvailable", "spec.minAvailable"),
                Nodes.intOrString(spec, "maxUnavailable", "spec.maxUnavailable"), annotations(meta),
                Ownership.ours(labels(meta)));
    }

    /**
     * Only ConfigMaps with a {@code mesh} key qualify: {@code istio-ca-root-cert} and {@code istio-sidecar-injector}
     * share the {@code istio-} prefix.
     */
    private MeshConfig meshConfig(String ns, String name, JsonNode object) {
        if (!ns.equals(istioNamespace) || !(name.equals("istio") || name.startsWith("istio-"))) {
            return null;
        }
        JsonNode data = Nodes.object(object, "data", "data");
        String text = data == null ? null : Nodes.text(data, "mesh", "data.mesh");
        if (text == null) {
            return null;
        }
        JsonNode mesh;
        try {
            mesh = MESH_YAML.readTree(text);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new IllegalArgumentException("data.mesh is not valid YAML"
                    + (line > 0 ? " (line " + line + " of the value)" : "") + ": " + e.getOriginalMessage(), e);
        }
        if (mesh == null || mesh.isMissingNode() || mesh.isNull()) {
            mesh = JsonNodeFactory.instance.objectNode();
        } else if (!mesh.isObject()) {
            throw new IllegalArgumentException("data.mesh must be a YAML mapping, not " + mesh.getNodeType());
        }
        return new MeshConfig(ns, name, name.equals("istio") ? null : name.substring("istio-".length()), mesh);
    }

    /** A release Secret, or a release ConfigMap ({@code HELM_DRIVER=configmap}); null for any other Secret. */
    private HelmRelease helmRelease(String ns, String name, JsonNode object) {
        if (!HelmReleaseDecoder.isReleaseSecret(object) && !HelmReleaseDecoder.isReleaseConfigMap(object)) {
            return null;
        }
        // Helm keeps up to ten revisions; the status label lets the superseded ones skip the gunzip.
        JsonNode statusLabel = object.path("metadata").path("labels").path("status");
        if (statusLabel.isTextual() && !HelmRelease.DEPLOYED.equals(statusLabel.asText())) {
            return null;
        }
        JsonNode release = object.path("data").path("release");
        if (!release.isTextual()) {
            throw new HelmReleaseException(ns + "/" + name, "data.release is missing or not a string", null);
        }
        return helm.decode(ns, name, release.asText());
    }

    private static JsonNode orEmpty(JsonNode n) {
        return n == null ? JsonNodeFactory.instance.objectNode() : n;
    }
}

package io.meshwarden.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * An immutable, trimmed view of a cluster for policy rules.
 *
 * <p>The compact constructor stores every list sorted, so the lookups binary-search instead of needing index maps
 * (a record cannot hold derived fields, and a second copy of every reference would cost memory on big clusters).
 * Order: namespaces by name; workloads, HPAs, PDBs, mesh configs and Helm releases by namespace then name (then
 * kind); Istio resources by kind, namespace (cluster-scoped first), name; nodes by name; Services and add-on
 * ConfigMaps by namespace then name; operator resources by kind, namespace, name; running pods like workloads.
 *
 * @param runningPods per workload, what its running pods carry; empty when the source had no pods (a manifest
 *                    folder of templates only)
 */
public record ClusterSnapshot(List<NamespaceInfo> namespaces, List<Workload> workloads, List<Hpa> hpas,
        List<Pdb> pdbs, List<MeshConfig> meshConfigs, List<HelmRelease> helmReleases,
        List<IstioResource> istioResources, List<Node> nodes, List<ServiceInfo> services,
        List<AddonConfig> addonConfigs, List<OperatorResource> operatorResources, List<RunningPods> runningPods) {

    private static final Comparator<String> NULLS_FIRST = Comparator.nullsFirst(Comparator.naturalOrder());

    public ClusterSnapshot {
        namespaces = sorted(namespaces, Comparator.comparing(NamespaceInfo::name));
        workloads = sorted(workloads, Comparator.comparing(Workload::namespace).thenComparing(Workload::name)
                .thenComparing(Workload::kind));
        hpas = sorted(hpas, Comparator.comparing(Hpa::namespace).thenComparing(Hpa::name));
        pdbs = sorted(pdbs, Comparator.comparing(Pdb::namespace).thenComparing(Pdb::name));
        meshConfigs = sorted(meshConfigs,
                Comparator.comparing(MeshConfig::namespace).thenComparing(MeshConfig::configMapName));
        helmReleases = sorted(helmReleases, Comparator.comparing(HelmRelease::namespace)
                .thenComparing(HelmRelease::name).thenComparingInt(HelmRelease::revision));
        istioResources = sorted(istioResources, Comparator.comparing(IstioResource::kind)
                .thenComparing(IstioResource::namespace, NULLS_FIRST).thenComparing(IstioResource::name));
        nodes = sorted(nodes, Comparator.comparing(Node::name));
        services = sorted(services, Comparator.comparing(ServiceInfo::namespace).thenComparing(ServiceInfo::name));
        addonConfigs = sorted(addonConfigs,
                Comparator.comparing(AddonConfig::namespace).thenComparing(AddonConfig::name));
        operatorResources = sorted(operatorResources, Comparator.comparing(OperatorResource::kind)
                .thenComparing(OperatorResource::namespace).thenComparing(OperatorResource::name));
        runningPods = sorted(runningPods, Comparator.comparing(RunningPods::namespace)
                .thenComparing(RunningPods::name).thenComparing(RunningPods::kind));
    }

    /** A snapshot without running pods. */
    public ClusterSnapshot(List<NamespaceInfo> namespaces, List<Workload> workloads, List<Hpa> hpas,
            List<Pdb> pdbs, List<MeshConfig> meshConfigs, List<HelmRelease> helmReleases,
            List<IstioResource> istioResources, List<Node> nodes, List<ServiceInfo> services,
            List<AddonConfig> addonConfigs, List<OperatorResource> operatorResources) {
        this(namespaces, workloads, hpas, pdbs, meshConfigs, helmReleases, istioResources, nodes, services,
                addonConfigs, operatorResources, null);
    }

    /** A snapshot without the Services, add-on ConfigMaps and operator resources only the add-on rules read. */
    public ClusterSnapshot(List<NamespaceInfo> namespaces, List<Workload> workloads, List<Hpa> hpas,
            List<Pdb> pdbs, List<MeshConfig> meshConfigs, List<HelmRelease> helmReleases,
            List<IstioResource> istioResources, List<Node> nodes) {
        this(namespaces, workloads, hpas, pdbs, meshConfigs, helmReleases, istioResources, nodes, null, null, null);
    }

    public static ClusterSnapshot empty() {
        return new ClusterSnapshot(null, null, null, null, null, null, null, null);
    }

    public List<ServiceInfo> servicesIn(String namespace) {
        return range(services, s -> s.namespace().compareTo(namespace));
    }

    public List<AddonConfig> addonConfigsIn(String namespace) {
        return range(addonConfigs, c -> c.namespace().compareTo(namespace));
    }

    public List<OperatorResource> operatorResources(OperatorKind kind) {
        return range(operatorResources, r -> r.kind().compareTo(kind));
    }

    public Optional<NamespaceInfo> namespace(String name) {
        return first(range(namespaces, n -> n.name().compareTo(name)));
    }

    public List<Workload> workloadsIn(String namespace) {
        return range(workloads, w -> w.namespace().compareTo(namespace));
    }

    public Optional<Workload> workload(WorkloadKind kind, String namespace, String name) {
        return first(range(workloads, w -> {
            int c = w.namespace().compareTo(namespace);
            c = c != 0 ? c : w.name().compareTo(name);
            return c != 0 ? c : w.kind().compareTo(kind);
        }));
    }

    public List<Workload> workloadsOfKind(WorkloadKind kind) {
        List<Workload> out = new ArrayList<>();
        for (Workload w : workloads) {
            if (w.kind() == kind) {
                out.add(w);
            }
        }
        return List.copyOf(out);
    }

    /** What the workload's running pods carry; empty when none was read for it. */
    public Optional<RunningPods> runningPods(Workload w) {
        return first(range(runningPods, p -> {
            int c = p.namespace().compareTo(w.namespace());
            c = c != 0 ? c : p.name().compareTo(w.name());
            return c != 0 ? c : p.kind().compareTo(w.kind());
        }));
    }

    public List<Hpa> hpasIn(String namespace) {
        return range(hpas, h -> h.namespace().compareTo(namespace));
    }

    /** Usually zero or one; more than one is a misconfiguration the HPA controller refuses to act on. */
    public List<Hpa> hpasFor(Workload workload) {
        return hpasScaling(workload.kind().kindName(), workload.namespace(), workload.name());
    }

    /** The HPAs whose scaleTargetRef names this object: the one answer to "which HPA scales this". */
    public List<Hpa> hpasScaling(String kind, String namespace, String name) {
        if (namespace == null) {
            return List.of();
        }
        List<Hpa> out = new ArrayList<>(1);
        for (Hpa h : hpasIn(namespace)) {
            if (kind.equals(h.targetKind()) && name.equals(h.targetName())) {
                out.add(h);
            }
        }
        return List.copyOf(out);
    }

    public Optional<Hpa> hpaFor(Workload workload) {
        return first(hpasFor(workload));
    }

    public List<Pdb> pdbsIn(String namespace) {
        return range(pdbs, p -> p.namespace().compareTo(namespace));
    }

    /** PDBs in the workload's namespace whose selector matches its pod-template labels. */
    public List<Pdb> pdbsFor(Workload workload) {
        List<Pdb> out = new ArrayList<>(1);
        for (Pdb p : pdbsIn(workload.namespace())) {
            if (p.selects(workload.podLabels())) {
                out.add(p);
            }
        }
        return List.copyOf(out);
    }

    /** The default revision's mesh config (ConfigMap {@code istio}). */
    public Optional<MeshConfig> meshConfig() {
        return meshConfig(null);
    }

    /** @param revision null or "default" for the ConfigMap {@code istio}, else {@code istio-<revision>} */
    public Optional<MeshConfig> meshConfig(String revision) {
        boolean defaultRevision = revision == null || revision.equals("default");
        Optional<MeshConfig> found = meshConfigOfRevision(defaultRevision ? null : revision);
        // A revision literally named "default" can also have been installed as istio-default.
        return found.isEmpty() && defaultRevision ? meshConfigOfRevision("default") : found;
    }

    private Optional<MeshConfig> meshConfigOfRevision(String revision) {
        for (MeshConfig m : meshConfigs) {
            if (Objects.equals(m.revision(), revision)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    public Optional<HelmRelease> helmRelease(String namespace, String name) {
        return first(range(helmReleases, r -> {
            int c = r.namespace().compareTo(namespace);
            return c != 0 ? c : r.name().compareTo(name);
        }));
    }

    public List<HelmRelease> helmReleasesOfChart(String chartName) {
        List<HelmRelease> out = new ArrayList<>();
        for (HelmRelease r : helmReleases) {
            if (chartName.equals(r.chartName())) {
                out.add(r);
            }
        }
        return List.copyOf(out);
    }

    public List<IstioResource> istioResources(IstioKind kind) {
        return range(istioResources, r -> r.kind().compareTo(kind));
    }

    /** @param namespace null for cluster-scoped resources */
    public List<IstioResource> istioResources(IstioKind kind, String namespace) {
        return range(istioResources, r -> {
            int c = r.kind().compareTo(kind);
            return c != 0 ? c : NULLS_FIRST.compare(r.namespace(), namespace);
        });
    }

    private static <T> List<T> sorted(List<T> list, Comparator<? super T> order) {
        if (list == null || list.isEmpty()) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(list);
        copy.sort(order);
        return List.copyOf(copy);
    }

    private static <T> Optional<T> first(List<T> list) {
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
    }

    /**
     * The contiguous run of a sorted list where {@code probe} is 0; probe is negative before the run and positive
     * after it, consistently with the list's order.
     */
    private static <T> List<T> range(List<T> sorted, ToIntFunction<T> probe) {
        int lo = lowerBound(sorted, probe, false);
        int hi = lowerBound(sorted, probe, true);
        return lo == hi ? List.of() : sorted.subList(lo, hi);
    }

    private static <T> int lowerBound(List<T> sorted, ToIntFunction<T> probe, boolean pastMatches) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = probe.applyAsInt(sorted.get(mid));
            if (c < 0 || (pastMatches && c == 0)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}

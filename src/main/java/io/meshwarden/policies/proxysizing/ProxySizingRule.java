package io.meshwarden.policies.proxysizing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.SidecarResources;
import io.meshwarden.model.HelmRelease;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Json;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Numbers;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ProxySizing: sidecar requests (and optionally limits) within a tolerance of the policy's.
 *
 * <p>The injector takes resources from the four {@code sidecar.istio.io/proxy*} annotations when any one of them is
 * set, and then ignores {@code global.proxy.resources} entirely for that pod (istio#34822): a pod with only
 * {@code proxyCPU} has no memory request at all. The remedy therefore always writes all four.
 */
public final class ProxySizingRule {
    public static final RuleId DEVIATES = new RuleId("proxy-sizing-deviates",
            "An injected workload's sidecar requests or limits are outside the policy's tolerance");
    private ProxySizingRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        ProxySizingParameters p = (ProxySizingParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : mesh.sidecarWorkloads()) {
            if (!scope.covers(w)) {
                continue;
            }
            check(w, SidecarResources.of(w, mesh), p, checks, mesh);
        }
        return checks.outcome();
    }

    /**
     * The remedy of each given workload that the policy covers, gets a sidecar from, and would report: what
     * {@link #evaluate} proposes for it, for a restart that carries the sizing along (the onboarding run).
     */
    static Map<ResourceRef, Remedy> presize(MeshPolicy policy, List<Workload> workloads, ClusterSnapshot snapshot) {
        ProxySizingParameters p = (ProxySizingParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Map<ResourceRef, Remedy> out = new LinkedHashMap<>();
        for (Workload w : workloads) {
            if (!w.kind().longRunning() || !mesh.injection(w).injected() || !scope.covers(w)) {
                continue;
            }
            SidecarResources now = SidecarResources.of(w, mesh);
            if (!deviations(now, p).isEmpty()) {
                out.put(Refs.of(w), remedy(w, now, p, mesh));
            }
        }
        return out;
    }

    private static void check(Workload w, SidecarResources now, ProxySizingParameters p, Checks checks,
            Mesh mesh) {
        List<String> deviations = deviations(now, p);
        BigDecimal tol = p.tolerancePercent();
        if (deviations.isEmpty()) {
            checks.pass();
            return;
        }
        checks.fail(DEVIATES, Refs.of(w), now.helm(), now.path(), describe(p.requests().cpu(),
                p.requests().memory(), p.limits() == null ? null : p.limits().cpu(),
                p.limits() == null ? null : p.limits().memory()) + " (±" + tol.stripTrailingZeros().toPlainString()
                        + "%)",
                describe(now.cpu(), now.memory(), now.cpuLimit(), now.memoryLimit()),
                w.ref() + ": sidecar resources from " + now.source() + " deviate from the policy: "
                        + String.join("; ", deviations),
                remedy(w, now, p, mesh));
    }

    private static List<String> deviations(SidecarResources now, ProxySizingParameters p) {
        List<String> deviations = new ArrayList<>();
        BigDecimal tol = p.tolerancePercent();
        compare("requests.cpu", now.cpu(), p.requests().cpu(), tol, deviations);
        compare("requests.memory", now.memory(), p.requests().memory(), tol, deviations);
        if (p.limits() != null) {
            compare("limits.cpu", now.cpuLimit(), p.limits().cpu(), tol, deviations);
            compare("limits.memory", now.memoryLimit(), p.limits().memory(), tol, deviations);
        }
        return deviations;
    }

    private static String describe(String cpu, String memory, String cpuLimit, String memoryLimit) {
        String s = "requests cpu=" + orUnset(cpu) + " memory=" + orUnset(memory);
        if (cpuLimit != null || memoryLimit != null) {
            s += ", limits cpu=" + orUnset(cpuLimit) + " memory=" + orUnset(memoryLimit);
        }
        return s;
    }

    private static String orUnset(String q) {
        return q == null ? "unset" : q;
    }

    private static void compare(String field, String actual, String expected, BigDecimal tolerance,
            List<String> out) {
        if (expected == null) {
            return;
        }
        BigDecimal e = amount(expected);
        BigDecimal a = actual == null ? null : amount(actual);
        String msg = field + " is " + (actual == null ? "unset" : actual) + ", expected " + expected;
        if (a == null) {
            out.add(msg + (actual == null ? "" : " (not a quantity)"));
            return;
        }
        if (e.signum() == 0) {
            if (a.signum() != 0) {
                out.add(msg);
            }
            return;
        }
        BigDecimal percent = a.subtract(e).abs().multiply(BigDecimal.valueOf(100)).divide(e, 6,
                RoundingMode.HALF_UP);
        if (percent.compareTo(tolerance) > 0) {
            out.add(msg + " (off by " + percent.setScale(1, RoundingMode.HALF_UP).toPlainString() + "%)");
        }
    }

    /**
     * Parsed quantities. A cluster uses a handful of distinct strings ("100m", "128Mi") across thousands of
     * workloads, and parsing was most of this rule's time; BigDecimal is immutable, so sharing is safe. Bounded so
     * that hostile input cannot grow it.
     */
    private static final Map<String, Optional<BigDecimal>> AMOUNTS = new ConcurrentHashMap<>();
    private static final int AMOUNTS_MAX = 4096;

    /** Base units: cores for cpu, bytes for memory; null when it does not parse. */
    static BigDecimal amount(String quantity) {
        Optional<BigDecimal> cached = AMOUNTS.get(quantity);
        if (cached == null) {
            cached = parseAmount(quantity);
            if (AMOUNTS.size() < AMOUNTS_MAX) {
                AMOUNTS.put(quantity, cached);
            }
        }
        return cached.orElse(null);
    }

    private static Optional<BigDecimal> parseAmount(String quantity) {
        try {
            // Bounded: a hostile manifest's 1e1000000 is treated as unparseable, not expanded.
            return Optional.of(Numbers.quantity(quantity.trim()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Where the fix must go. A proxy sized by its declared istio-proxy container (every gateway of the gateway chart)
     * or injected with the gateway template ignores the annotations: the container's resources must change, through
     * the gateway release's {@code resources} value when Helm manages it. Otherwise the four annotations, all of
     * them, since one alone makes the injector drop the others' defaults.
     */
    private static Remedy remedy(Workload w, SidecarResources now, ProxySizingParameters p, Mesh mesh) {
        String cpu = p.requests().cpu();
        String memory = p.requests().memory();
        String cpuLimit = p.limits() != null && p.limits().cpu() != null ? p.limits().cpu() : now.cpuLimit();
        String memoryLimit = p.limits() != null && p.limits().memory() != null ? p.limits().memory()
                : now.memoryLimit();
        // A kept limit below the new request would make the pod invalid.
        cpuLimit = atLeast(cpuLimit, cpu);
        memoryLimit = atLeast(memoryLimit, memory);
        if (now.declared() || now.gatewayTemplate()) {
            return containerRemedy(w, cpu, memory, cpuLimit, memoryLimit, mesh);
        }
        ObjectNode annotations = Json.F.objectNode();
        annotations.put(SidecarResources.CPU, cpu);
        annotations.put(SidecarResources.MEMORY, memory);
        String note = "Changing the pod template rolls the workload: every pod is re-created.";
        if (cpuLimit != null) {
            annotations.put(SidecarResources.CPU_LIMIT, cpuLimit);
        } else {
            note += " No cpu limit is set now or in the policy, so proxyCPULimit is left out.";
        }
        if (memoryLimit != null) {
            annotations.put(SidecarResources.MEMORY_LIMIT, memoryLimit);
        } else {
            note += " No memory limit is set now or in the policy, so proxyMemoryLimit is left out.";
        }
        return new Remedy(Refs.of(w), Remedy.PATCH, Json.nest(w.kind().templatePath() + ".metadata.annotations",
                annotations), true, note);
    }

    private static Remedy containerRemedy(Workload w, String cpu, String memory, String cpuLimit, String memoryLimit,
            Mesh mesh) {
        ObjectNode resources = Json.F.objectNode();
        ObjectNode requests = resources.putObject("requests").put("cpu", cpu).put("memory", memory);
        ObjectNode limits = resources.putObject("limits");
        if (cpuLimit != null) {
            limits.put("cpu", cpuLimit);
        }
        if (memoryLimit != null) {
            limits.put("memory", memoryLimit);
        }
        if (limits.isEmpty()) {
            resources.remove("limits");
        }
        Optional<HelmRelease> release = mesh.helmReleaseOf(w);
        if (release.isPresent() && "gateway".equals(release.get().chartName())) {
            return new Remedy(ResourceRef.helmRelease(release.get().namespace(), release.get().name()),
                    Remedy.VALUES_OVERLAY, Json.F.objectNode().set("resources", resources), true,
                    "The gateway chart puts its resources value on the istio-proxy container, which the gateway "
                            + "injection template does not size: apply the overlay with helm upgrade; the gateway "
                            + "rolls out.");
        }
        String container = w.hasNativeSidecar() ? "initContainers" : "containers";
        ObjectNode strategic = Json.nest(w.kind().templatePath() + ".spec",
                Json.F.objectNode().set(container, Json.F.arrayNode().add(Json.F.objectNode()
                        .put("name", "istio-proxy").set("resources", resources))));
        return Remedy.none(Refs.of(w), "The istio-proxy container declared in the pod template decides the "
                + "proxy's resources (the injector merges it over the "
                + "injected one, and the proxy annotations do nothing for it): set its resources, e.g. kubectl patch "
                + w.kind().kindName().toLowerCase(java.util.Locale.ROOT) + " " + w.name() + " -n " + w.namespace()
                + " --type strategic -p '" + strategic + "', or in the manifests that render it. Meshwarden does "
                + "not apply it: a merge patch would replace the whole container list.");
    }

    private static String atLeast(String limit, String request) {
        if (limit == null || request == null) {
            return limit;
        }
        BigDecimal l = amount(limit);
        BigDecimal r = amount(request);
        return l != null && r != null && l.compareTo(r) < 0 ? request : limit;
    }

    // ---------------------------------------------------------------- cost

    /** See {@link CostSummary}. */
    static CostSummary cost(List<MeshPolicy> sizingPolicies, ClusterSnapshot snapshot) {
        Mesh mesh = new Mesh(snapshot);
        List<Workload> injected = mesh.sidecarWorkloads();
        long cpuNow = 0;
        long memoryNow = 0;
        long[] cpu = new long[sizingPolicies.size()];
        long[] memory = new long[sizingPolicies.size()];
        int[] covered = new int[sizingPolicies.size()];
        List<Scope> scopes = new ArrayList<>();
        for (MeshPolicy p : sizingPolicies) {
            scopes.add(new Scope(p, snapshot));
        }
        for (Workload w : injected) {
            long replicas = replicas(w, snapshot);
            SidecarResources s = SidecarResources.of(w, mesh);
            long c = millis(s.cpu()) * replicas;
            long m = bytes(s.memory()) * replicas;
            cpuNow += c;
            memoryNow += m;
            for (int i = 0; i < sizingPolicies.size(); i++) {
                ProxySizingParameters p = (ProxySizingParameters) sizingPolicies.get(i).spec().parameters();
                if (scopes.get(i).covers(w)) {
                    covered[i]++;
                    cpu[i] += millis(p.requests().cpu()) * replicas;
                    memory[i] += bytes(p.requests().memory()) * replicas;
                } else {
                    cpu[i] += c;
                    memory[i] += m;
                }
            }
        }
        List<CostSummary.PolicyCost> per = new ArrayList<>();
        for (int i = 0; i < sizingPolicies.size(); i++) {
            per.add(new CostSummary.PolicyCost(sizingPolicies.get(i).name(), covered[i], cpu[i], memory[i]));
        }
        return new CostSummary(injected.size(), cpuNow, memoryNow, per);
    }

    private static long replicas(Workload w, ClusterSnapshot snapshot) {
        if (w.replicas() != null) {
            return w.replicas();
        }
        Optional<Hpa> hpa = snapshot.hpaFor(w);
        if (hpa.isPresent()) {
            return hpa.get().desiredReplicas() != null ? hpa.get().desiredReplicas() : hpa.get().minReplicas();
        }
        return 1;
    }

    private static long millis(String cpu) {
        BigDecimal a = cpu == null ? null : amount(cpu);
        return a == null ? 0 : a.multiply(BigDecimal.valueOf(1000)).setScale(0, RoundingMode.CEILING).longValue();
    }

    private static long bytes(String memory) {
        BigDecimal a = memory == null ? null : amount(memory);
        return a == null ? 0 : a.setScale(0, RoundingMode.CEILING).longValue();
    }
}

package io.meshwarden.policies.sidecarcoverage;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Note;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.ValuesSource;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.MeshConfig;
import io.meshwarden.model.RunningPods;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * SidecarCoverage: injection happens when a pod is created, so a label changed later leaves the running pods as
 * they were. Three ways they differ from what injection gives a new pod now, one rule id each; the fix of all three
 * is to re-create the pods, which this type reports but does not do (see {@link #restart}).
 *
 * <p>Only workloads with running pods in the snapshot are checked; the injection decision is {@link Mesh#injection},
 * the one every other type uses.
 */
public final class CoverageRule {
    public static final RuleId SIDECAR_MISSING = new RuleId("coverage-sidecar-missing",
            "Injection is on for a workload, but some of its running pods run no istio-proxy");
    public static final RuleId SIDECAR_LINGERING = new RuleId("coverage-sidecar-lingering",
            "Injection is off for a workload, but some of its running pods still run istio-proxy");
    public static final RuleId OLD_REVISION = new RuleId("coverage-old-revision",
            "Some of a workload's running pods were injected by another revision than the one that injects it now");

    static final String DEFAULT_REVISION = "default";
    private static final String STATUS = "sidecar.istio.io/status";

    private CoverageRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        Checks checks = new Checks(policy);
        walk(policy, snapshot, checks, new TreeMap<>());
        return checks.outcome();
    }

    /** What the report could not check: no pods at all, or revisions it cannot resolve (revision tags). */
    public static List<Note> notes(MeshPolicy policy, ClusterSnapshot snapshot) {
        List<Note> out = new ArrayList<>();
        if (snapshot.runningPods().isEmpty()) {
            out.add(new Note(Note.NO_RUNNING_PODS, policy.name(), "the snapshot holds no running pods (no Pod "
                    + "objects were read), so no workload's pods could be compared with what injection gives them "
                    + "now; for a manifest folder, add the output of kubectl get pods -A -o yaml"));
            return out;
        }
        Map<String, Integer> unresolved = new TreeMap<>();
        walk(policy, snapshot, new Checks(policy), unresolved);
        Set<String> known = installedRevisions(new Mesh(snapshot));
        for (Map.Entry<String, Integer> e : unresolved.entrySet()) {
            out.add(new Note(Note.UNRESOLVED_REVISION, policy.name(), "revision '" + e.getKey() + "' names no "
                    + "installed istiod revision (" + (known.isEmpty() ? "none is known" : "known: "
                            + String.join(", ", known)) + "); it is likely a revision tag, which Meshwarden does not "
                    + "resolve (it does not read the istio.io/tag MutatingWebhookConfigurations), so "
                    + e.getValue() + " workload(s) were not checked for pods on an old revision"));
        }
        return out;
    }

    /** @param unresolved expected revisions that name no installed istiod, with how many workloads skipped each */
    private static void walk(MeshPolicy policy, ClusterSnapshot snapshot, Checks checks,
            Map<String, Integer> unresolved) {
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Set<String> known = installedRevisions(mesh);
        for (Workload w : snapshot.workloads()) {
            Optional<RunningPods> found = snapshot.runningPods(w);
            if (found.isEmpty() || found.get().total() == 0 || !scope.covers(w)) {
                continue;
            }
            RunningPods pods = found.get();
            Mesh.Injection injection = mesh.injection(w);
            if (!injection.injected()) {
                lingering(w, pods, injection, checks);
                continue;
            }
            missing(w, pods, injection, checks);
            // A template that carries its own proxy is not the injector's to decide, nor is its revision.
            if (w.hasIstioProxy() && !w.proxyPlaceholder()) {
                continue;
            }
            String rev = mesh.revisionOf(w);
            String expected = rev == null ? DEFAULT_REVISION : rev;
            if (!known.contains(expected)) {
                if (pods.onOtherRevisions(expected) > 0) {
                    unresolved.merge(expected, 1, Integer::sum);
                }
                continue;
            }
            oldRevision(w, pods, expected, injection, checks);
        }
    }

    private static void missing(Workload w, RunningPods pods, Mesh.Injection injection, Checks checks) {
        if (pods.withoutProxy() == 0) {
            checks.pass();
            return;
        }
        checks.fail(SIDECAR_MISSING, Refs.of(w), null, "pods[].spec.containers[istio-proxy]",
                "istio-proxy in all " + pods.total() + " running pods", countOf(pods.withoutProxy(), pods)
                        + " without istio-proxy",
                w.ref() + ": " + countOf(pods.withoutProxy(), pods) + " running pods have no istio-proxy, though "
                        + "new pods get one (" + injection.reason() + "). They were created before injection "
                        + "was turned on and stay outside the mesh (no mTLS, no policy, no telemetry) until they "
                        + "are re-created.",
                restart(w, "new pods get istio-proxy; size the sidecar first (a ProxySizing policy), since every "
                        + "restarted pod adds a proxy's requests and an HPA scaling on CPU sees them"));
    }

    private static void lingering(Workload w, RunningPods pods, Mesh.Injection injection, Checks checks) {
        if (pods.withProxy() == 0) {
            checks.pass();
            return;
        }
        checks.fail(SIDECAR_LINGERING, Refs.of(w), null, "pods[].spec.containers[istio-proxy]",
                "no istio-proxy in the " + pods.total() + " running pods", countOf(pods.withProxy(), pods)
                        + " with istio-proxy",
                w.ref() + ": " + countOf(pods.withProxy(), pods) + " running pods still run istio-proxy, though "
                        + "injection is now off (" + injection.reason() + "). When they are re-created they lose "
                        + "the sidecar and with it mTLS: their traffic goes in plain text, and workloads whose "
                        + "PeerAuthentication is STRICT refuse their calls. Meshwarden does not read "
                        + "PeerAuthentications, so which peers are STRICT was not checked.",
                restart(w, "new pods come up without istio-proxy; check first that no STRICT peer needs mTLS from "
                        + "them"));
    }

    private static void oldRevision(Workload w, RunningPods pods, String expected, Mesh.Injection injection,
            Checks checks) {
        int stale = pods.onOtherRevisions(expected);
        if (stale == 0) {
            checks.pass();
            return;
        }
        Map<String, Integer> others = new TreeMap<>(pods.proxyRevisions());
        others.remove(expected);
        StringBuilder actual = new StringBuilder();
        for (Map.Entry<String, Integer> e : others.entrySet()) {
            actual.append(actual.length() == 0 ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
        }
        checks.fail(OLD_REVISION, Refs.of(w), null, "pods[].metadata.annotations[\"" + STATUS + "\"].revision",
                expected, actual + " (of " + pods.total() + " running pods)",
                w.ref() + ": " + countOf(stale, pods) + " running pods run a proxy injected by another revision ("
                        + actual + "), but revision " + expected + " injects its pods now (" + injection.reason()
                        + "). They stay with the old control plane, its proxy version and its configuration until "
                        + "they are re-created, and keep that revision from being removed.",
                restart(w, "new pods are injected by revision " + expected));
    }

    /**
     * Re-creating the pods is the fix of every rule here, as {@code kubectl rollout restart} does it: a pod-template
     * annotation, after which the workload's controller replaces its pods by its own update strategy. Pods are
     * never deleted. A Job is not restarted: its template is immutable and a restart would run its work again.
     */
    static Remedy restart(Workload w, String effect) {
        if (w.kind() == WorkloadKind.JOB) {
            return Remedy.none(Refs.of(w), "A Job's pods are not restarted (its template is immutable, and a "
                    + "restart would run its work again); its next run gets pods as injection gives them now.");
        }
        return new Remedy(Refs.of(w), Remedy.ROLLOUT_RESTART, null, true, "Restart the workload as kubectl "
                + "rollout restart " + w.kind().kindName().toLowerCase(Locale.ROOT) + "/" + w.name() + " -n "
                + w.namespace() + " does (pod-template annotation " + Remedy.RESTARTED_AT + "; the controller "
                + "replaces the pods by its update strategy, never deleting them): " + effect + ". Enforcement runs "
                + "do not make this restart; the onboarding run does, in batches: POST "
                + "/api/v1/onboarding/<policy>/dry-run lists the staged order with each restart's patch, POST "
                + "/api/v1/onboarding/<policy> runs it.");
    }

    /** Revisions some istiod is installed for, by its values or its mesh ConfigMap ({@code default} for none). */
    static Set<String> installedRevisions(Mesh mesh) {
        Set<String> out = new TreeSet<>();
        for (ValuesSource s : mesh.istiodSources()) {
            out.add(s.revision() == null ? DEFAULT_REVISION : s.revision());
        }
        for (MeshConfig m : mesh.snapshot().meshConfigs()) {
            out.add(m.revision() == null ? DEFAULT_REVISION : m.revision());
        }
        return out;
    }

    private static String countOf(int n, RunningPods pods) {
        return n + " of " + pods.total();
    }
}

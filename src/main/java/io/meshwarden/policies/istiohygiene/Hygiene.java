package io.meshwarden.policies.istiohygiene;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.MeshPolicy;

/**
 * One IstioHygiene policy over a snapshot: every workload's pod template annotations (injected now or not: a
 * misspelled key can be the very reason a pod is not injected, and a bad value breaks injection once it is on) and
 * every namespace's annotations.
 */
final class Hygiene {
    private Hygiene() {
    }

    static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        IstioHygieneParameters p = (IstioHygieneParameters) policy.spec().parameters();
        Scope scope = new Scope(policy, snapshot);
        Mesh mesh = new Mesh(snapshot);
        Checks checks = new Checks(policy);
        for (NamespaceInfo ns : snapshot.namespaces()) {
            // The policy's selector is matched against the namespace's own labels; an empty one matches every namespace.
            if (scope.covers(ns.name(), "Namespace", ns.name(), ns.labels(), ns.annotations())) {
                AnnotationRule.namespace(ns, p, checks);
            }
        }
        for (Workload w : snapshot.workloads()) {
            if (!scope.covers(w)) {
                continue;
            }
            Mesh.Injection injection = mesh.injection(w);
            AnnotationRule.workload(w, p, checks, injection);
            QuantityRule.check(w, checks, injection);
            ProxyConfigRule.check(w, checks, injection);
        }
        return checks.outcome();
    }

    /** The path of an annotation of the pod template, as findings name it. */
    static String templateAnnotation(Workload w, String key) {
        return w.kind().templatePath() + ".metadata.annotations[\"" + key + "\"]";
    }

    /** What a bad value means for this workload now. */
    static String injectionNote(Mesh.Injection injection) {
        return injection.injected() ? "" : " (Its pods are not injected now (" + injection.reason()
                + "); this takes effect once they are.)";
    }
}

package io.meshwarden.policies.istiohygiene;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.Workload;

/** {@code proxy.istio.io/config} must be ProxyConfig: parsable YAML, known fields, the right JSON types. */
final class ProxyConfigRule {
    static final RuleId INVALID = new RuleId("istio-proxy-config-invalid",
            "A proxy.istio.io/config annotation is not valid ProxyConfig (YAML, unknown fields, wrong types)");

    private ProxyConfigRule() {
    }

    static void check(Workload w, Checks checks, Mesh.Injection injection) {
        String text = w.podAnnotations().get(Mesh.PROXY_CONFIG_ANNOTATION);
        if (text == null) {
            return;
        }
        ProxyConfigCheck.Result r = ProxyConfigCheck.check(text);
        if (r.ok()) {
            checks.pass();
            return;
        }
        String problems = String.join("; ", r.problems()) + (r.more() > 0 ? "; and " + r.more() + " more" : "");
        String consequence = r.unknownOnly()
                ? "Istio accepts this without a word (it drops unknown fields, retrying its parser with them "
                        + "allowed, and keeps the last of a repeated key), so what is meant never reaches the proxy."
                : "Istio's injector refuses this annotation (pkg/kube/inject validateProxyConfig), so the API server "
                        + "rejects the workload's new pods." + Hygiene.injectionNote(injection);
        checks.fail(INVALID, Refs.of(w), null, Hygiene.templateAnnotation(w, Mesh.PROXY_CONFIG_ANNOTATION),
                "valid ProxyConfig (istio.mesh.v1alpha1)",
                r.problems().get(0), w.ref() + ": the pod template annotation " + Mesh.PROXY_CONFIG_ANNOTATION
                        + " is not valid ProxyConfig: " + problems + (problems.endsWith("?") ? " " : ". ") + consequence,
                Remedy.none(Refs.of(w), "Correct the annotation in the pod template (or the manifests that render "
                        + "it) against https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig; "
                        + "the workload rolls out."));
    }
}

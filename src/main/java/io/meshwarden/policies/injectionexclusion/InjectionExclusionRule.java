package io.meshwarden.policies.injectionexclusion;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * InjectionExclusion: Jobs and CronJobs whose pods get a classic sidecar never complete, because istio-proxy keeps
 * running after the main container exits. With native sidecars Kubernetes stops the proxy itself, and excluding
 * the Job would only cost it mTLS, so by default such meshes are left alone.
 */
public final class InjectionExclusionRule {
    public static final RuleId JOB_SIDECAR = new RuleId("injection-job-sidecar",
            "A Job or CronJob gets a classic istio-proxy sidecar and so never completes");

    private InjectionExclusionRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        InjectionExclusionParameters p = (InjectionExclusionParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        // Only the batch kinds the policy names are read; findings are sorted later, so the order here is free.
        List<Workload> batch = new ArrayList<>();
        for (WorkloadKind kind : List.of(WorkloadKind.JOB, WorkloadKind.CRON_JOB)) {
            if (p.workloadKinds().contains(kind.kindName())) {
                batch.addAll(snapshot.workloadsOfKind(kind));
            }
        }
        for (Workload w : batch) {
            if (!scope.covers(w)) {
                continue;
            }
            Mesh.Injection injection = mesh.injection(w);
            if (!injection.injected() || "false".equalsIgnoreCase(w.podLabels().get(Mesh.INJECT))) {
                checks.pass();
                continue;
            }
            Mesh.NativeSidecars nativeSidecars = mesh.nativeSidecars(w);
            if (nativeSidecars.on() && p.whenNativeSidecars() == InjectionExclusionParameters.NativeSidecars.SKIP) {
                checks.pass();
                continue;
            }
            String path = w.kind().templatePath() + ".metadata.labels[\"" + Mesh.INJECT + "\"]";
            String why = nativeSidecars.on()
                    ? "Native sidecars are on (" + nativeSidecars.reason() + "), but the policy enforces the "
                            + "exclusion anyway."
                    : nativeSidecars.known()
                            ? "Native sidecars are off (" + nativeSidecars.reason() + "): the proxy keeps the pod "
                                    + "running after the job's container exits."
                            : "Native sidecars are assumed off: " + nativeSidecars.reason() + ".";
            String message = w.ref() + " gets an istio-proxy sidecar (" + injection.reason() + ") and its pod "
                    + "template lacks the label " + Mesh.INJECT + ": \"false\". " + why;
            Remedy remedy;
            if (w.kind() == WorkloadKind.JOB) {
                remedy = Remedy.none(Refs.of(w), "Job templates are immutable; fix the owner (the CronJob, chart or "
                        + "pipeline that creates this Job) and let the next run pick it up.");
            } else {
                remedy = new Remedy(Refs.of(w), Remedy.PATCH,
                        Json.nest("spec.jobTemplate.spec.template.metadata.labels",
                                Json.F.objectNode().put(Mesh.INJECT, "false")),
                        false, "Applies to the next scheduled run; running Jobs are not touched.");
            }
            checks.fail(JOB_SIDECAR, Refs.of(w), null, path, "\"false\"",
                    w.podLabels().containsKey(Mesh.INJECT) ? "\"" + w.podLabels().get(Mesh.INJECT) + "\"" : "unset",
                    message, remedy);
        }
        return checks.outcome();
    }
}

package io.meshwarden.policies;

import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.policies.controlplanemonitoring.ControlPlaneMonitoringType;
import io.meshwarden.policies.haminimum.HaMinimumType;
import io.meshwarden.policies.headerremoval.HeaderRemovalType;
import io.meshwarden.policies.injectionexclusion.InjectionExclusionType;
import io.meshwarden.policies.istiohygiene.IstioHygieneType;
import io.meshwarden.policies.meshaddons.MeshAddonsType;
import io.meshwarden.policies.proxysizing.ProxySizingType;
import io.meshwarden.policies.sidecarcoverage.SidecarCoverageType;
import io.meshwarden.policies.tracesampling.TraceSamplingType;
import io.meshwarden.policies.workloadha.WorkloadHaType;
import io.meshwarden.policy.PolicyCodec;
import java.util.List;
import java.util.Optional;

/**
 * The registry: every policy type Meshwarden knows, one line each. The codec, the evaluator, the schemas (CRD and
 * OpenAPI) and the rule docs test iterate this list; nothing else names the types.
 */
public final class PolicyTypes {
    public static final List<PolicyKind> ALL = List.of(
            HaMinimumType.TYPE,
            InjectionExclusionType.TYPE,
            HeaderRemovalType.TYPE,
            ProxySizingType.TYPE,
            TraceSamplingType.TYPE,
            MeshAddonsType.TYPE,
            ControlPlaneMonitoringType.TYPE,
            WorkloadHaType.TYPE,
            IstioHygieneType.TYPE,
            SidecarCoverageType.TYPE);

    public static final PolicyCodec CODEC = new PolicyCodec(ALL);
    public static final Evaluator EVALUATOR = new Evaluator(ALL);

    private PolicyTypes() {
    }

    public static Optional<PolicyKind> byName(String name) {
        return ALL.stream().filter(k -> k.name().equals(name)).findFirst();
    }
}

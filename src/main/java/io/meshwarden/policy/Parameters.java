package io.meshwarden.policy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** Type-specific parameters; one record per policy type, defaults already applied. */
public sealed interface Parameters {

    PolicyType type();

    /** components: istiod, ingressgateway, egressgateway, or a Helm release name. */
    record HaMinimum(List<String> components, int minReplicas, int autoscaleMin, int autoscaleMax,
            boolean requirePodDisruptionBudget) implements Parameters {
        public HaMinimum {
            components = List.copyOf(components);
        }

        public PolicyType type() {
            return PolicyType.HaMinimum;
        }
    }

    record InjectionExclusion(List<String> workloadKinds, NativeSidecars whenNativeSidecars) implements Parameters {
        public InjectionExclusion {
            workloadKinds = List.copyOf(workloadKinds);
        }

        public PolicyType type() {
            return PolicyType.InjectionExclusion;
        }
    }

    /** skip: with native sidecars Jobs finish on their own and keep mTLS, so they are left alone. */
    enum NativeSidecars {
        SKIP, ENFORCE
    }

    record HeaderRemoval(Map<String, String> gatewaySelector, List<String> headers) implements Parameters {
        public HeaderRemoval {
            gatewaySelector = Map.copyOf(gatewaySelector);
            headers = List.copyOf(headers);
        }

        public PolicyType type() {
            return PolicyType.HeaderRemoval;
        }
    }

    /** Quantities are kept as the user wrote them (canonical string) and compared through fabric8's Quantity. */
    record ProxySizing(Resources requests, Resources limits, BigDecimal tolerancePercent) implements Parameters {
        public PolicyType type() {
            return PolicyType.ProxySizing;
        }
    }

    record Resources(String cpu, String memory) {
    }

    record TraceSampling(BigDecimal maxPercent) implements Parameters {
        public PolicyType type() {
            return PolicyType.TraceSampling;
        }
    }
}

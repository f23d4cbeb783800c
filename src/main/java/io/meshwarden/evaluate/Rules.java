package io.meshwarden.evaluate;

/** The stable rule ids. They appear in reports, metrics and suppressions: never rename one. */
public final class Rules {
    public static final String HA_HELM_AUTOSCALE_MIN = "ha-helm-autoscale-min";
    public static final String HA_HELM_AUTOSCALE_MAX = "ha-helm-autoscale-max";
    public static final String HA_HELM_REPLICA_COUNT = "ha-helm-replica-count";
    public static final String HA_HPA_MIN_REPLICAS = "ha-hpa-min-replicas";
    public static final String HA_HPA_MAX_REPLICAS = "ha-hpa-max-replicas";
    public static final String HA_DEPLOYMENT_REPLICAS = "ha-deployment-replicas";
    public static final String HA_PDB_MISSING = "ha-pdb-missing";
    public static final String HA_PDB_BLOCKS_EVICTION = "ha-pdb-blocks-eviction";
    public static final String INJECTION_JOB_SIDECAR = "injection-job-sidecar";
    public static final String HEADERS_NOT_REMOVED = "headers-not-removed";
    public static final String PROXY_SIZING_DEVIATES = "proxy-sizing-deviates";
    public static final String TRACE_SAMPLING_TOO_HIGH = "trace-sampling-too-high";

    private Rules() {
    }
}

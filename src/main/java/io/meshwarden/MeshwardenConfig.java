package io.meshwarden;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

@ConfigMapping(prefix = "meshwarden")
public interface MeshwardenConfig {

    Store store();

    Gitops gitops();

    Audit audit();

    Cluster cluster();

    Enforce enforce();

    Helm helm();

    Rollout rollout();

    Onboarding onboarding();

    LeaderElection leaderElection();

    Api api();

    Http http();

    /** Bounds on what one API answer may cost. */
    interface Api {
        /** Violations listed in one 422 answer; the rest are counted (violationsOmitted). At least 1. */
        @WithDefault("100")
        int maxViolations();
    }

    /** Bounds on what one HTTP request may hold. */
    interface Http {
        /** A request's body must have arrived this long after its headers, else 408 and the connection closed. */
        @WithDefault("10s")
        Duration bodyTimeout();
    }

    /** Only the holder of the Lease enforces; every replica serves reads. */
    interface LeaderElection {
        @WithDefault("true")
        boolean enabled();

        /** Where the Lease lives; unset: the pod's own namespace, else no election (a single instance). */
        Optional<String> namespace();

        @WithDefault("meshwarden-leader")
        String leaseName();

        @WithDefault("15s")
        Duration leaseDuration();

        @WithDefault("10s")
        Duration renewDeadline();

        @WithDefault("2s")
        Duration retryPeriod();
    }

    /** The change budget for changes that restart pods. Its defaults are also RolloutConfig.DEFAULTS. */
    interface Rollout {
        String DEFAULT_MAX_CONCURRENT = "1";
        String DEFAULT_DEADLINE = "PT10M";
        String DEFAULT_POLL_INTERVAL = "PT5S";
        String DEFAULT_HPA_SURGE_PERCENT = "50";
        String DEFAULT_CRASH_LOOP_RESTARTS = "3";
        String DEFAULT_WRITES_PER_SECOND = "5";

        /** Workloads restarting at once, cluster-wide and per namespace. */
        @WithDefault(DEFAULT_MAX_CONCURRENT)
        int maxConcurrent();

        /** A rollout not complete by then halts the run. */
        @WithDefault(DEFAULT_DEADLINE)
        Duration deadline();

        @WithDefault(DEFAULT_POLL_INTERVAL)
        Duration pollInterval();

        /** Halt when the workload's HPA raises its desired replicas by more than this during the rollout. */
        @WithDefault(DEFAULT_HPA_SURGE_PERCENT)
        int hpaSurgePercent();

        /** Halt when a container of the workload restarted this many times since the change. */
        @WithDefault(DEFAULT_CRASH_LOOP_RESTARTS)
        int crashLoopRestarts();

        /** Pace of writes that restart nothing (HPA bounds, PDBs, labels, EnvoyFilters). */
        @WithDefault(DEFAULT_WRITES_PER_SECOND)
        double writesPerSecond();
    }

    interface Enforce {
        /** Whether scheduled enforcement runs (manual runs through the API are always possible). */
        @WithDefault("true")
        boolean enabled();

        /** Time between scheduled runs; a run still going when the next is due is skipped. */
        @WithDefault("5m")
        Duration interval();

        /** Runs kept in memory for GET /api/v1/runs and revert. */
        @WithDefault("50")
        int runsKept();

        /**
         * Dry runs kept among them: a dry run's plan holds a change per non-compliant object (about 10 MB at 10k
         * workloads), and dry runs change nothing that a revert would need.
         */
        @WithDefault("3")
        int dryRunsKept();

        /** The enforcer health check is DOWN after this many consecutive failed runs. */
        @WithDefault("3")
        int failureThreshold();

        /**
         * How long POST /api/v1/runs and the dashboard wait for a run's plan before answering with the run still
         * planning (202, poll its Location). Below quarkus.http.idle-timeout (30 s), which would close the connection
         * of a request still waiting: a dry run of a large cluster reads each object its plan would write.
         */
        @WithDefault("20s")
        Duration answerWithin();
    }

    /** The onboarding run's resume of a running onboarding no replica carries on (read by its @Scheduled). */
    interface Onboarding {
        /** How often the leader looks for one. */
        @WithDefault("30s")
        Duration resumeInterval();

        /** The first look after start. */
        @WithDefault("15s")
        Duration resumeDelay();
    }

    interface Helm {
        /**
         * Patch spec.values of a Sail Istio resource or an IstioOperator when an enforce-mode policy finds its values
         * below the minimum. Off by default: those resources are usually kept in git.
         */
        @WithDefault("false")
        boolean patchOwners();
    }

    interface Audit {
        /** Whether the scheduled audit runs (it also needs a cluster, see meshwarden.cluster.enabled). */
        @WithDefault("true")
        boolean enabled();

        /** Write each audit's findings as wg-policy PolicyReport/ClusterPolicyReport objects (when the CRDs exist). */
        @WithDefault("true")
        boolean policyReports();

        /** Results kept per PolicyReport; the rest are counted in the summary and the report is annotated. */
        @WithDefault("500")
        int policyReportMaxResults();

        /** Time between scheduled audits; a run still going when the next is due is skipped. */
        @WithDefault("5m")
        Duration interval();
    }

    interface Cluster {
        /**
         * Read a live cluster. Unset: yes when running in a pod or when a kubeconfig exists, so that the service
         * starts without a cluster on a laptop.
         */
        Optional<Boolean> enabled();

        /** Items per list request (the `limit` of paginated lists). */
        @WithDefault("500")
        int pageSize();

        @WithDefault("istio-system")
        String istioNamespace();
    }

    interface Store {
        /** file: the embedded store (a directory). kubernetes: MeshPolicy resources in the cluster. */
        @WithDefault("file")
        StoreType type();

        /** Directory of the embedded file store, one YAML file per policy. */
        @WithDefault("policies")
        Path dir();
    }

    enum StoreType {
        file, kubernetes
    }

    interface Gitops {
        /** Read-only directory tree of policy files kept by git; unset disables the GitOps source. */
        Optional<Path> dir();

        /** How often the GitOps tree is re-read (a scheduler expression like 2s). */
        @WithDefault("2s")
        Duration pollInterval();
    }
}

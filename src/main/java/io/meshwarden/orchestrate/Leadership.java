package io.meshwarden.orchestrate;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.MeshwardenConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Which replica may enforce. With a namespace to hold the Lease (configured, or the pod's own from its service
 * account) the replicas elect one; without one (a laptop, a test) this single instance is the enforcer.
 */
@ApplicationScoped
public class Leadership {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    private static final Path POD_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    private final MeshwardenConfig config;
    private final AuditJob audits;
    private final Instance<KubernetesClient> client;
    private volatile LeaderLease lease;

    public Leadership(MeshwardenConfig config, AuditJob audits, Instance<KubernetesClient> client) {
        this.config = config;
        this.audits = audits;
        this.client = client;
    }

    void start(@Observes StartupEvent event) {
        MeshwardenConfig.LeaderElection le = config.leaderElection();
        if (!le.enabled() || !audits.clusterEnabled()) {
            return;
        }
        Optional<String> namespace = le.namespace().or(Leadership::podNamespace);
        if (namespace.isEmpty()) {
            LOG.warn("leader election: no namespace for the Lease (meshwarden.leader-election.namespace); this "
                    + "instance enforces alone: do not run more than one replica");
            return;
        }
        String identity = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("meshwarden-" + UUID.randomUUID());
        lease = new LeaderLease(client.get(), namespace.get(), le.leaseName(), identity, le.leaseDuration(),
                le.renewDeadline(), le.retryPeriod());
        lease.start();
        LOG.infof("leader election: competing for Lease %s/%s as %s", namespace.get(), le.leaseName(), identity);
    }

    void stop(@Observes ShutdownEvent event) {
        if (lease != null) {
            lease.stop();
        }
    }

    private static Optional<String> podNamespace() {
        try {
            return Files.exists(POD_NAMESPACE) ? Optional.of(Files.readString(POD_NAMESPACE).trim()) : Optional.empty();
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    /** True when this instance may write: it holds the lease, or no election is configured. */
    public boolean mayEnforce() {
        LeaderLease l = lease;
        return l == null || l.isLeader();
    }

    public String describe() {
        LeaderLease l = lease;
        if (l == null) {
            return "no leader election: this instance enforces";
        }
        return l.isLeader() ? "leader (" + l.identity() + ")" : "follower; the leader is " + l.currentLeader();
    }
}

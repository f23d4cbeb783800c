package io.meshwarden.catalog;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.MeshwardenConfig;
import io.meshwarden.gitops.GitOpsSource;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.store.FilePolicyStore;
import io.meshwarden.store.KubernetesPolicyStore;
import io.meshwarden.store.PolicyStore;
import io.meshwarden.store.ResourceVersionClock;
import io.meshwarden.store.StoreException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The effective set of policies: the file store merged with the GitOps source. A name defined in both is a conflict
 * that git wins, and a GitOps policy cannot be changed through the API.
 */
@ApplicationScoped
@Startup
public class PolicyCatalog {
    private static final Logger LOG = Logger.getLogger(PolicyCatalog.class);

    public enum Source {
        store, gitops
    }

    /** A policy as served: where it came from, and for GitOps the file that defines it. */
    public record Entry(MeshPolicy policy, Source source, String file) {
    }

    /** A store policy shadowed by a GitOps one of the same name. */
    public record Shadowed(String name, String gitopsFile) {
    }

    private final PolicyStore store;
    private final GitOpsSource gitops;
    private volatile boolean gitopsLoaded;

    public PolicyCatalog(MeshwardenConfig config, MeterRegistry registry, Instance<KubernetesClient> client) {
        ResourceVersionClock clock = new ResourceVersionClock();
        if (config.store().type() == MeshwardenConfig.StoreType.kubernetes) {
            this.store = new KubernetesPolicyStore(client.get());
        } else {
            Timer writes = Timer.builder("meshwarden.store.write")
                    .description("Durable policy writes (fsync included)").publishPercentileHistogram(false)
                    .register(registry);
            this.store = new FilePolicyStore(config.store().dir(), clock, n -> writes.record(n,
                    TimeUnit.NANOSECONDS));
        }
        this.gitops = config.gitops().dir().map(d -> new GitOpsSource(d, clock)).orElse(null);
        try {
            store.load();
            store.loadErrors().forEach(e -> LOG.warnf("stored policy %s not loaded: %s", e.file(), e.reason()));
        } catch (IOException | RuntimeException e) {
            // Not ready until the store is readable; the scheduled job retries.
            LOG.errorf("cannot load policy store %s: %s", store.location(), e.getMessage());
        }
        pollGitOps();
    }

    @PreDestroy
    void close() {
        if (store instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debugf("closing the policy store: %s", e.getMessage());
            }
        }
    }

    @Scheduled(every = "${meshwarden.gitops.poll-interval:2s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void pollGitOps() {
        if (!store.ready()) {
            try {
                store.load();
            } catch (IOException | RuntimeException e) {
                LOG.debugf("store still unavailable: %s", e.getMessage());
            }
        }
        if (gitops == null) {
            gitopsLoaded = true;
            return;
        }
        if (gitops.scan()) {
            LOG.infof("GitOps policies reloaded from %s: %d policies, %d file error(s)", gitops.root(),
                    gitops.policies().size(), gitops.errorCount());
        }
        gitopsLoaded = gitops.scanError() == null || gitopsLoaded;
    }

    public boolean storeReady() {
        return store.ready();
    }

    public boolean gitopsReady() {
        return gitopsLoaded;
    }

    public PolicyStore store() {
        return store;
    }

    public Optional<GitOpsSource> gitops() {
        return Optional.ofNullable(gitops);
    }

    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        Map<String, GitOpsSource.Entry> git = gitPolicies();
        git.values().forEach(e -> out.add(new Entry(e.policy(), Source.gitops, e.file())));
        for (MeshPolicy p : store.list()) {
            if (!git.containsKey(p.name())) {
                out.add(new Entry(p, Source.store, null));
            }
        }
        out.sort(Comparator.comparing(e -> e.policy().name()));
        return out;
    }

    public Optional<Entry> get(String name) {
        GitOpsSource.Entry g = gitPolicies().get(name);
        if (g != null) {
            return Optional.of(new Entry(g.policy(), Source.gitops, g.file()));
        }
        return store.get(name).map(p -> new Entry(p, Source.store, null));
    }

    public List<Shadowed> shadowedStorePolicies() {
        Map<String, GitOpsSource.Entry> git = gitPolicies();
        return store.list().stream().filter(p -> git.containsKey(p.name()))
                .map(p -> new Shadowed(p.name(), git.get(p.name()).file())).toList();
    }

    public Entry create(MeshPolicy policy) {
        guardGitOps(policy.name());
        return new Entry(store.create(policy), Source.store, null);
    }

    public Entry update(MeshPolicy policy, String expectedVersion, boolean viaIfMatch) {
        guardGitOps(policy.name());
        return new Entry(store.update(policy, expectedVersion, viaIfMatch), Source.store, null);
    }

    public void delete(String name, String expectedVersion, boolean viaIfMatch) {
        guardGitOps(name);
        store.delete(name, expectedVersion, viaIfMatch);
    }

    /**
     * Hands the last audit's findings to the store, for the policies it serves (a GitOps policy of the same name
     * shadows a stored one, and its findings are not the stored one's).
     */
    public void recordEvaluation(Map<String, Integer> findingsByPolicy, java.time.Instant at) {
        Map<String, GitOpsSource.Entry> git = gitPolicies();
        Map<String, Integer> own = new java.util.TreeMap<>();
        for (MeshPolicy p : store.list()) {
            if (!git.containsKey(p.name())) {
                own.put(p.name(), findingsByPolicy.getOrDefault(p.name(), 0));
            }
        }
        store.recordEvaluation(own, at);
    }

    private void guardGitOps(String name) {
        GitOpsSource.Entry g = gitPolicies().get(name);
        if (g != null) {
            throw new StoreException.ManagedElsewhere(name, g.file());
        }
    }

    private Map<String, GitOpsSource.Entry> gitPolicies() {
        return gitops == null ? Map.of() : gitops.policies();
    }
}

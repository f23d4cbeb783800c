package io.meshwarden.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Fresh store and GitOps directories per test run, so reruns without `clean` start empty. */
public class TestDirs implements QuarkusTestResourceLifecycleManager {
    static final String GITOPS_PROPERTY = "mwtest.gitops-dir";
    static final String STORE_PROPERTY = "mwtest.store-dir";

    @Override
    public Map<String, String> start() {
        try {
            Path base = Files.createTempDirectory("meshwarden-test");
            Path store = Files.createDirectories(base.resolve("store"));
            Path gitops = Files.createDirectories(base.resolve("gitops"));
            System.setProperty(GITOPS_PROPERTY, gitops.toString());
            System.setProperty(STORE_PROPERTY, store.toString());
            return Map.of("meshwarden.store.dir", store.toString(), "meshwarden.gitops.dir", gitops.toString(),
                    "meshwarden.gitops.poll-interval", "200ms");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
    }

    static Path gitopsDir() {
        return Path.of(System.getProperty(GITOPS_PROPERTY));
    }

    static Path storeDir() {
        return Path.of(System.getProperty(STORE_PROPERTY));
    }
}

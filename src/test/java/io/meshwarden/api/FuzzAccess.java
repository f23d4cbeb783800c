package io.meshwarden.api;

import java.nio.file.Path;

/** Test helpers of this package for tests elsewhere. */
public final class FuzzAccess {
    private FuzzAccess() {
    }

    public static void installYaml() {
        YamlBodies.install();
    }

    public static Path storeDir() {
        return TestDirs.storeDir();
    }
}

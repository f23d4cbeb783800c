package io.meshwarden.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The packaged application the *IT tests start as a child process: the JVM jar by default, or the native executable
 * when {@code -Dnative.image.path=...} names one (the property Quarkus' own {@code @QuarkusIntegrationTest} reads,
 * so that one switch moves the whole *IT suite to the native executable).
 */
public record PackagedArtifact(Path path, boolean nativeExecutable) {
    public static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    public static PackagedArtifact current() {
        String nativePath = System.getProperty("native.image.path", "");
        if (!nativePath.isBlank()) {
            return new PackagedArtifact(Path.of(nativePath).toAbsolutePath(), true);
        }
        return new PackagedArtifact(JAR.toAbsolutePath(), false);
    }

    public boolean exists() {
        return nativeExecutable ? Files.isExecutable(path) : Files.isRegularFile(path);
    }

    public String describe() {
        return (nativeExecutable ? "native executable " : "JVM jar ") + path;
    }

    /**
     * The command line that starts the artifact with these options and program arguments. JVM-only options (JIT,
     * GC selection, -XX flags) are dropped for the native executable, which has its own GC and no JIT; system
     * properties and -Xmx/-Xms/-Xmn apply to both.
     */
    public List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        if (nativeExecutable) {
            cmd.add(path.toString());
            for (String option : jvmOptions) {
                if (option.startsWith("-D") || option.startsWith("-Xmx") || option.startsWith("-Xms")
                        || option.startsWith("-Xmn")) {
                    cmd.add(option);
                }
            }
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.add("-jar");
            cmd.add(path.toString());
        }
        cmd.addAll(args);
        return cmd;
    }
}

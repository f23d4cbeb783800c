package io.meshwarden.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * A fresh admin token for one benchmark run and the JVM properties that make the app accept it. Mode {@code tokens}
 * writes a tokens file ({@code <name> <role> sha256:<hex>}) and sets the auth mode explicitly, since {@code auto}
 * would pick TokenReview when the run happens inside a pod; mode {@code none} turns authentication off, to measure
 * what it costs. The token is sent in both modes.
 */
record BenchAuth(String token, List<String> jvmProperties) {

    static BenchAuth create(String mode, Path workDir) throws IOException {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        if (mode.equals("none")) {
            return new BenchAuth(token, List.of("-Dmeshwarden.auth.mode=none"));
        }
        if (!mode.equals("tokens")) {
            throw new IllegalArgumentException("auth mode must be tokens or none, got '" + mode + "'");
        }
        Path file = workDir.resolve("tokens");
        Files.writeString(file, "bench admin sha256:" + sha256Hex(token) + "\n", StandardCharsets.UTF_8);
        return new BenchAuth(token, List.of("-Dmeshwarden.auth.mode=tokens",
                "-Dmeshwarden.auth.tokens-file=" + file.toAbsolutePath()));
    }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

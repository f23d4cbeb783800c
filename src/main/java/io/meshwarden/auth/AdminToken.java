package io.meshwarden.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin token generated at start when no tokens file is configured, so that a fresh install is never open
 * (the idea of Argo CD's initial admin secret). It is written for the owner alone and only its path is logged.
 */
final class AdminToken {
    static final String NAME = "admin";

    private AdminToken() {
    }

    /** 256 random bits, URL-safe base64 (43 characters), so it pastes into a header or a shell unquoted. */
    static String generate() {
        byte[] bytes = new byte[32];
        // Created here, not in a static field: a native image must not freeze a seeded generator at build time.
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Writes the token to {@code file} with mode 0600, creating missing parent directories with mode 0700. The
     * file is replaced by a rename, so a reader never sees it half written and its permissions are never wider.
     *
     * @return false when the file system has no POSIX permissions (the file is then as private as its directory)
     */
    static boolean write(Path file, String token) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = Files.getFileAttributeView(dir.getRoot(), PosixFileAttributeView.class) != null;
        if (!Files.isDirectory(dir)) {
            if (posix) {
                createPrivateDirectories(dir);
            } else {
                Files.createDirectories(dir);
            }
        }
        Path tmp = posix
                ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return posix;
    }

    private static void createPrivateDirectories(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createPrivateDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}

package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {
    @TempDir
    Path dir;

    @Test
    void tokensAre256RandomBitsInUrlSafeBase64() {
        String a = AdminToken.generate();
        assertEquals(43, a.length());
        assertEquals(32, Base64.getUrlDecoder().decode(a).length);
        assertTrue(a.matches("[A-Za-z0-9_-]+"), a);
        assertNotEquals(a, AdminToken.generate());
    }

    @Test
    void writtenForTheOwnerOnlyInPrivateNewDirectories() throws Exception {
        Path file = dir.resolve("state/.meshwarden/admin-token");
        assertTrue(AdminToken.write(file, "first"));
        assertEquals("first\n", Files.readString(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dir.resolve("state"))));

        // A restart replaces it, and a file someone had opened up is private again.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        AdminToken.write(file, "second");
        assertEquals("second\n", Files.readString(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temp file is left behind");
        }
    }
}

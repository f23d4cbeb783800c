package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensAuthenticatorTest {
    @TempDir
    Path dir;

    private Path write(String text, int secondsFromNow) throws Exception {
        Path f = dir.resolve("tokens");
        Files.writeString(f, text);
        // File systems with coarse timestamps would hide a quick rewrite; say explicitly that it changed.
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(secondsFromNow)));
        return f;
    }

    @Test
    void findsTheCallerByTheHashOfTheToken() throws Exception {
        TokensAuthenticator a = TokensAuthenticator.fromFile(write(Tokens.line("ci", "editor", "t-ci")
                + Tokens.line("ops", "admin", "t-ops"), 0));
        assertEquals(Caller.ofToken("ci", Role.EDITOR), a.authenticate("t-ci"));
        assertEquals(Caller.ofToken("ops", Role.ADMIN), a.authenticate("t-ops"));
        assertNull(a.authenticate("t-c"));
        assertNull(a.authenticate("t-ci "));
        assertNull(a.authenticate(Tokens.hex("t-ci")), "the hash is not a token");
    }

    @Test
    void aRewrittenFileRotatesTokensWithoutARestart() throws Exception {
        Path f = write(Tokens.line("ci", "editor", "old"), 0);
        TokensAuthenticator a = TokensAuthenticator.fromFile(f);
        assertEquals("ci", a.authenticate("old").user());

        write(Tokens.line("ci", "viewer", "new"), 10);
        assertNull(a.authenticate("old"));
        assertEquals(Role.VIEWER, a.authenticate("new").role());

        // A broken rewrite keeps the tokens that were valid, rather than locking everyone out.
        write("ci viewer sha256:nothex\n", 20);
        assertEquals(Role.VIEWER, a.authenticate("new").role());
        assertNull(a.authenticate("old"));

        write(Tokens.line("ci", "admin", "newer"), 30);
        assertEquals(Role.ADMIN, a.authenticate("newer").role());
        assertNull(a.authenticate("new"));
    }

    @Test
    void aSingleGeneratedTokenIsAnAdmin() {
        TokensAuthenticator a = TokensAuthenticator.single("admin", TokensAuthenticator.sha256("g"), "generated");
        assertEquals(Caller.ofToken("admin", Role.ADMIN), a.authenticate("g"));
        assertNull(a.authenticate("h"));
    }
}

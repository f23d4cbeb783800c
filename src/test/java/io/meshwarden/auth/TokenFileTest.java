package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    static final String HEX = Tokens.hex("ci-secret");
    static final String OTHER = Tokens.hex("other-secret");

    @TempDir
    Path dir;

    private List<TokenFile.Entry> read(String text) throws Exception {
        Path f = dir.resolve("tokens");
        Files.writeString(f, text);
        return TokenFile.read(f);
    }

    private TokenFile.Malformed malformed(String text) throws IOException {
        Path f = dir.resolve("tokens");
        Files.writeString(f, text);
        return assertThrows(TokenFile.Malformed.class, () -> TokenFile.read(f));
    }

    @Test
    void readsNamesRolesAndHashesSkippingCommentsAndBlankLines() throws Exception {
        List<TokenFile.Entry> entries = read("""
                # who may call the API
                ci   editor sha256:%s

                \t# dashboards
                grafana@ops\tviewer\tsha256:%s\r
                """.formatted(HEX, OTHER));
        assertEquals(2, entries.size());
        assertEquals("ci", entries.get(0).name());
        assertEquals(Role.EDITOR, entries.get(0).role());
        assertArrayEquals(HexFormat.of().parseHex(HEX), entries.get(0).hash());
        assertEquals("grafana@ops", entries.get(1).name());
        assertEquals(Role.VIEWER, entries.get(1).role());
    }

    @Test
    void aByteOrderMarkIsNotPartOfTheFirstName() throws Exception {
        assertEquals("admin", read("\uFEFFadmin admin sha256:" + HEX + "\n").get(0).name());
    }

    @Test
    void malformedLinesNameTheLineAndTheReasonButNeverTheHash() throws IOException {
        String upper = HEX.toUpperCase(Locale.ROOT);
        Object[][] cases = {
            {"# header\nci editor\n", 2, "expected 3 fields"},
            {"ci editor sha256:" + HEX + " extra\n", 1, "expected 3 fields"},
            {"ci owner sha256:" + HEX + "\n", 1, "role 'owner' must be viewer, editor or admin"},
            {"ci Admin sha256:" + HEX + "\n", 1, "role 'Admin'"},
            {"ci editor sha1:" + HEX + "\n", 1, "must start with sha256:"},
            {"ci editor " + HEX + "\n", 1, "must start with sha256:"},
            {"\n\nci editor sha256:" + upper + "\n", 3, "64 lowercase hex digits"},
            {"ci editor sha256:" + HEX.substring(1) + "\n", 1, "got 63 characters"},
            {"-ci editor sha256:" + HEX + "\n", 1, "name '-ci' must be"},
            {"system:ci editor sha256:" + HEX + "\n", 1, "(':' is kept for system users)"},
            {"ci editor sha256:" + HEX + "\nci viewer sha256:" + OTHER + "\n", 2, "already used on line 1"},
            {"a editor sha256:" + HEX + "\nb viewer sha256:" + HEX + "\n", 2, "the same token as on line 1"},
        };
        for (Object[] c : cases) {
            TokenFile.Malformed e = malformed((String) c[0]);
            assertEquals(c[1], e.line(), e.getMessage());
            assertTrue(e.getMessage().contains(":" + c[1] + ": "), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
            assertFalse(e.getMessage().toLowerCase(Locale.ROOT).contains(HEX.substring(0, 16)), e.getMessage());
            assertFalse(e.getMessage().contains(OTHER.substring(0, 16)), e.getMessage());
        }
    }

    @Test
    void aLongRoleIsNotEchoedSinceItMayBeAMisplacedToken() throws IOException {
        TokenFile.Malformed e = malformed("ci s3cr3t-t0ken-that-was-pasted sha256:" + HEX + "\n");
        assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
        assertTrue(e.getMessage().contains("role must be viewer, editor or admin"), e.getMessage());
    }

    @Test
    void aFileWithoutTokensOrNotUtf8OrMissingIsRefused() throws IOException {
        assertTrue(malformed("# nothing yet\n\n").getMessage().contains("holds no tokens"));
        Path f = dir.resolve("latin1");
        Files.write(f, new byte[] {'c', 'i', (byte) 0xE9, ' '});
        assertTrue(assertThrows(TokenFile.Malformed.class, () -> TokenFile.read(f)).getMessage()
                .contains("is not UTF-8"));
        assertTrue(assertThrows(TokenFile.Malformed.class, () -> TokenFile.read(dir.resolve("missing")))
                .getMessage().contains("cannot read the tokens file"));
    }
}

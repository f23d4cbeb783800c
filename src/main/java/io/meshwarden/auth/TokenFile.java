package io.meshwarden.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tokens file: UTF-8, one token per line as {@code <name> <role> sha256:<64 lowercase hex>}, where the hex is
 * the SHA-256 of the token. Blank lines and lines starting with # are ignored. Only hashes are stored, so the file
 * does not give the tokens away; errors name the line and the field but never echo a hash.
 */
public final class TokenFile {
    static final String HASH_PREFIX = "sha256:";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    /** One token: who it is, what it may do, and the SHA-256 of the token. */
    public record Entry(String name, Role role, byte[] hash) {
    }

    /** A line that is not a token entry; the message starts with the file and line number. */
    public static final class Malformed extends Exception {
        private final int line;

        Malformed(Path file, int line, String reason) {
            super(file + (line > 0 ? ":" + line : "") + ": " + reason);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    private TokenFile() {
    }

    public static List<Entry> read(Path file) throws Malformed {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Malformed(file, 0, "cannot read the tokens file (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed(file, 0, "is not UTF-8 text");
        }
        return parse(file, text);
    }

    static List<Entry> parse(Path file, String text) throws Malformed {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> hashes = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int no = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("[ \t]+");
            if (f.length != 3) {
                throw new Malformed(file, no, "expected 3 fields `<name> <role> sha256:<hex>`, found " + f.length);
            }
            if (!NAME.matcher(f[0]).matches()) {
                throw new Malformed(file, no, "name '" + printable(f[0]) + "' must be 1-128 characters of letters, "
                        + "digits and ._@+- starting with a letter or digit (':' is kept for system users)");
            }
            Role role = Role.parse(f[1]);
            if (role == null) {
                // A long value may be a token pasted into the wrong field: it is not echoed.
                String shown = f[1].length() <= 16 ? " '" + printable(f[1]) + "'" : "";
                throw new Malformed(file, no, "role" + shown + " must be viewer, editor or admin");
            }
            if (!f[2].startsWith(HASH_PREFIX)) {
                throw new Malformed(file, no, "the third field must start with " + HASH_PREFIX);
            }
            String hex = f[2].substring(HASH_PREFIX.length());
            if (!HEX.matcher(hex).matches()) {
                throw new Malformed(file, no, "the hash must be 64 lowercase hex digits (the SHA-256 of the token), "
                        + "got " + hex.length() + " characters");
            }
            Integer earlier = names.putIfAbsent(f[0], no);
            if (earlier != null) {
                throw new Malformed(file, no, "name '" + f[0] + "' is already used on line " + earlier);
            }
            earlier = hashes.putIfAbsent(hex, no);
            if (earlier != null) {
                throw new Malformed(file, no, "the same token as on line " + earlier);
            }
            entries.add(new Entry(f[0], role, HexFormat.of().parseHex(hex)));
        }
        if (entries.isEmpty()) {
            throw new Malformed(file, 0, "holds no tokens: nobody could call the API");
        }
        return List.copyOf(entries);
    }

    /** Names and roles are echoed in errors; control characters are not, they could forge log lines. */
    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}

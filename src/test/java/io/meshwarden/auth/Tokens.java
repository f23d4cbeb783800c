package io.meshwarden.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Builds tokens-file lines the way an operator would (printf %s "$TOKEN" | sha256sum), independently of the code. */
final class Tokens {
    private Tokens() {
    }

    static String hex(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String line(String name, String role, String token) {
        return name + " " + role + " sha256:" + hex(token) + "\n";
    }
}

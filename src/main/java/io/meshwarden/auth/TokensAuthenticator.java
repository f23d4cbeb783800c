package io.meshwarden.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Tokens from the tokens file (or the generated admin token). The presented token is hashed and compared with
 * every entry in constant time, without stopping at a match, so timing says nothing about which entry matched or
 * how much of a hash did. The file is re-read when its modification time or size changes, so tokens rotate without
 * a restart; a broken rewrite keeps the previous tokens and is logged.
 */
final class TokensAuthenticator implements Authenticator {
    private static final Logger LOG = Logger.getLogger(TokensAuthenticator.class);

    private record Loaded(List<TokenFile.Entry> entries, FileTime modified, long size) {
    }

    private final Path file;
    private final String description;
    private volatile Loaded loaded;

    /** Reads the file now: a malformed file fails start-up. */
    static TokensAuthenticator fromFile(Path file) throws TokenFile.Malformed {
        TokensAuthenticator a = new TokensAuthenticator(file, "tokens file " + file);
        a.loaded = a.load(file);
        return a;
    }

    /** One fixed admin token, never re-read (the generated one). */
    static TokensAuthenticator single(String name, byte[] tokenHash, String description) {
        TokensAuthenticator a = new TokensAuthenticator(null, description);
        a.loaded = new Loaded(List.of(new TokenFile.Entry(name, Role.ADMIN, tokenHash)), null, -1);
        return a;
    }

    private TokensAuthenticator(Path file, String description) {
        this.file = file;
        this.description = description;
    }

    @Override
    public Caller authenticate(String token) {
        byte[] presented = sha256(token);
        TokenFile.Entry match = null;
        for (TokenFile.Entry e : current().entries()) {
            if (MessageDigest.isEqual(presented, e.hash())) {
                match = e;
            }
        }
        return match == null ? null : Caller.ofToken(match.name(), match.role());
    }

    @Override
    public boolean authorize(Caller caller, Access access) {
        return caller.role() != null && caller.role().allows(access);
    }

    @Override
    public String describe() {
        return description;
    }

    int size() {
        return current().entries().size();
    }

    private Loaded current() {
        Loaded l = loaded;
        if (file == null) {
            return l;
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (Objects.equals(a.lastModifiedTime(), l.modified()) && a.size() == l.size()) {
                return l;
            }
        } catch (IOException e) {
            // A file being replaced may be missing for an instant; the tokens in memory stay valid meanwhile.
            return l;
        }
        synchronized (this) {
            try {
                loaded = load(file);
                LOG.infof("tokens file %s changed: %d token(s) now", file, loaded.entries().size());
            } catch (TokenFile.Malformed e) {
                LOG.errorf("tokens file changed but is not valid, the previous %d token(s) stay in use: %s",
                        loaded.entries().size(), e.getMessage());
                // Remember the broken version so that the error is logged once, not on every request.
                loaded = new Loaded(loaded.entries(), modified(file), size(file));
            }
            return loaded;
        }
    }

    private Loaded load(Path f) throws TokenFile.Malformed {
        // Attributes first: a change landing during the read is then seen as a change again next time.
        FileTime modified = modified(f);
        long size = size(f);
        return new Loaded(TokenFile.read(f), modified, size);
    }

    private static FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return null;
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return -1;
        }
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

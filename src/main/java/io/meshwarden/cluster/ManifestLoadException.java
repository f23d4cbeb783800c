package io.meshwarden.cluster;

import java.nio.file.Path;

/** A manifest file that cannot be read or holds an invalid object. The message names the file and line. */
public class ManifestLoadException extends RuntimeException {
    private final Path file;
    private final int line;

    /** @param line 1-based; 0 when unknown */
    public ManifestLoadException(Path file, int line, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based line of the problem (or of the start of the offending object); 0 when unknown. */
    public int line() {
        return line;
    }
}

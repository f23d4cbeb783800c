package io.meshwarden.policy;

/** Input that is not well-formed JSON/YAML, or exceeds the parser's limits. Line and column are 1-based; 0 when unknown. */
public class DocumentSyntaxException extends RuntimeException {
    private final int line;
    private final int column;

    public DocumentSyntaxException(String message, int line, int column) {
        super(message);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}

package io.meshwarden.model;

/**
 * Where an object of a manifest folder starts: the file as the loader was given it (relative when its root was) and
 * the 1-based line of the document or list item. Kept apart from the snapshot records so a live read, which has no
 * files, costs nothing; only the offline audit asks for them, to point SARIF results at a line.
 */
public record SourceLocation(String file, int line) {
}

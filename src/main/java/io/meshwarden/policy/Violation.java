package io.meshwarden.policy;

/** One thing wrong with a document: a JSON-pointer-like path into it and a reason a person can act on. */
public record Violation(String field, String reason) {
}

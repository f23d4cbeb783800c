package io.meshwarden.policies.istiohygiene;

/** YAML flow quoting for annotation values that hold YAML themselves. */
final class Fixtures2 {
    private Fixtures2() {
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}

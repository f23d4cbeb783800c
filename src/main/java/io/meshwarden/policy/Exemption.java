package io.meshwarden.policy;

/** An object that a policy never reports or changes. A null field matches anything. */
public record Exemption(String namespace, String kind, String name) {
    public boolean matches(String objNamespace, String objKind, String objName) {
        return (namespace == null || namespace.equals(objNamespace))
                && (kind == null || kind.equals(objKind))
                && (name == null || name.equals(objName));
    }
}

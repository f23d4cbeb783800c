package io.meshwarden.policy;

import java.util.List;

/**
 * Which objects a policy looks at. An empty include list means every namespace; exclude always wins.
 */
public record Target(List<String> includeNamespaces, List<String> excludeNamespaces, LabelSelector selector) {
    public static final Target ALL = new Target(List.of(), List.of(), LabelSelector.EVERYTHING);

    public Target {
        includeNamespaces = List.copyOf(includeNamespaces);
        excludeNamespaces = List.copyOf(excludeNamespaces);
    }

    public boolean coversNamespace(String namespace) {
        if (excludeNamespaces.contains(namespace)) {
            return false;
        }
        return includeNamespaces.isEmpty() || includeNamespaces.contains(namespace);
    }
}

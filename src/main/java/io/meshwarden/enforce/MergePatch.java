package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON merge patches (RFC 7386) as the API server applies them for {@code application/merge-patch+json}: objects
 * merge key by key, null deletes a key, everything else (arrays included) replaces the old value whole.
 */
public final class MergePatch {
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MergePatch() {
    }

    /** The target after the patch; neither argument is modified. */
    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            return patch == null ? target : patch.deepCopy();
        }
        ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : F.objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), apply(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    /**
     * The merge patch that puts back, on {@code target}, every leaf field {@code patch} touches: the old value
     * where there was one, null (delete) where the field was absent. Applying {@code patch} and then this restores
     * the target, as far as those fields go; objects the patch created are left empty rather than removed.
     */
    public static ObjectNode revert(JsonNode target, JsonNode patch) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            JsonNode old = target != null && target.isObject() ? target.get(e.getKey()) : null;
            if (e.getValue().isObject() && (old == null || old.isNull() || old.isObject())) {
                // Leaf by leaf, so that a revert does not delete what others add beside our fields meanwhile.
                out.set(e.getKey(), revert(old, e.getValue()));
            } else {
                out.set(e.getKey(), old == null ? NullNode.getInstance() : old.deepCopy());
            }
        }
        return out;
    }

    /**
     * Folds {@code patch} into {@code into} so that applying the result equals applying both. Returns the paths
     * where the two disagree (both set a value, and the values differ); {@code into} is left unchanged then, so a
     * caller can refuse the second patch whole instead of applying half of it.
     */
    public static List<String> mergeInto(ObjectNode into, JsonNode patch) {
        List<String> conflicts = new ArrayList<>();
        conflicts(into, patch, "", conflicts);
        if (conflicts.isEmpty()) {
            fold(into, patch);
        }
        return conflicts;
    }

    private static void conflicts(JsonNode a, JsonNode b, String path, List<String> out) {
        for (Map.Entry<String, JsonNode> e : b.properties()) {
            JsonNode old = a.get(e.getKey());
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (old == null) {
                continue;
            }
            if (old.isObject() && e.getValue().isObject()) {
                conflicts(old, e.getValue(), p, out);
            } else if (!same(old, e.getValue())) {
                out.add(p);
            }
        }
    }

    private static void fold(ObjectNode into, JsonNode patch) {
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            JsonNode old = into.get(e.getKey());
            if (old != null && old.isObject() && e.getValue().isObject()) {
                fold((ObjectNode) old, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    /**
     * Structural equality where numbers compare by value (a remedy's {@code 2} and the server's {@code 2.0} are
     * equal) and an object field holding null equals an absent one.
     */
    public static boolean same(JsonNode a, JsonNode b) {
        if (a == null || a.isNull() || b == null || b.isNull()) {
            return (a == null || a.isNull()) && (b == null || b.isNull());
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            // A merge patch null means "absent"; the API server never stores one, some mocks do.
            for (Map.Entry<String, JsonNode> e : a.properties()) {
                if (!same(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            for (Map.Entry<String, JsonNode> e : b.properties()) {
                if (!a.has(e.getKey()) && !e.getValue().isNull()) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!same(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** Whether the patch sets {@code dottedPath} to something other than null. */
    static boolean sets(JsonNode patch, String dottedPath) {
        JsonNode n = patch;
        for (String key : dottedPath.split("\\.")) {
            if (n == null || !n.isObject()) {
                return false;
            }
            n = n.get(key);
        }
        return n != null && !n.isNull();
    }

    /**
     * Removes {@code dottedPath} from the patch and any object left empty by that; returns the patch (the same
     * instance) or null when nothing is left.
     */
    static ObjectNode without(ObjectNode patch, String dottedPath) {
        String[] keys = dottedPath.split("\\.");
        strip(patch, keys, 0);
        return patch.isEmpty() ? null : patch;
    }

    private static void strip(ObjectNode n, String[] keys, int i) {
        if (i == keys.length - 1) {
            n.remove(keys[i]);
            return;
        }
        JsonNode child = n.get(keys[i]);
        if (child instanceof ObjectNode) {
            strip((ObjectNode) child, keys, i + 1);
            if (child.isEmpty()) {
                n.remove(keys[i]);
            }
        }
    }
}

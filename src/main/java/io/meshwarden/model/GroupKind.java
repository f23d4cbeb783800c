package io.meshwarden.model;

import java.util.Optional;
import java.util.function.Predicate;

/** An API group and a kind: what identifies a kind of object, since kind names repeat across groups. */
public record GroupKind(String group, String kind) {

    /** The enums of kinds the snapshot keeps. */
    public interface Of {
        GroupKind groupKind();

        default String group() {
            return groupKind().group();
        }

        /** The Kubernetes {@code kind}, e.g. {@code StatefulSet}. */
        default String kindName() {
            return groupKind().kind();
        }
    }

    static <E extends Of> Optional<E> find(E[] values, Predicate<E> test) {
        for (E e : values) {
            if (test.test(e)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}

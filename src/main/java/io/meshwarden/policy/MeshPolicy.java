package io.meshwarden.policy;

/** A validated, normalized policy document (defaults filled in). */
public record MeshPolicy(PolicyMetadata metadata, PolicySpec spec) {
    public static final String API_VERSION = "meshwarden.io/v1alpha1";
    public static final String KIND = "MeshPolicy";

    public String name() {
        return metadata.name();
    }

    public MeshPolicy withMetadata(PolicyMetadata newMetadata) {
        return new MeshPolicy(newMetadata, spec);
    }
}

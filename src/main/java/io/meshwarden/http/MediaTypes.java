package io.meshwarden.http;

public final class MediaTypes {
    public static final String YAML = "application/yaml";
    public static final String YAML_X = "application/x-yaml";
    public static final String YAML_TEXT = "text/yaml";
    public static final String PROBLEM = "application/problem+json";

    private MediaTypes() {
    }
}

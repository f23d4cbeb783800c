package io.meshwarden.api;

final class MediaTypes {
    static final String YAML = "application/yaml";
    static final String YAML_X = "application/x-yaml";
    static final String YAML_TEXT = "text/yaml";
    static final String PROBLEM = "application/problem+json";

    private MediaTypes() {
    }
}

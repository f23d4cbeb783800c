package io.meshwarden.model;

/** The Helm release (and the revision that was inspected) whose values caused or can fix a finding. */
public record HelmRef(String namespace, String name, int revision) {
}

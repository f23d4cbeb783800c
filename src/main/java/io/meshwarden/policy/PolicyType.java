package io.meshwarden.policy;

public enum PolicyType {
    HaMinimum, InjectionExclusion, HeaderRemoval, ProxySizing, TraceSampling
}

/**
 * Policy evaluation: {@link io.meshwarden.evaluate.Evaluator} applies {@code MeshPolicy} documents to a
 * {@code ClusterSnapshot} and returns findings with remedies. Everything here is a pure function of its input: no
 * Kubernetes client, no CDI, no clock.
 *
 * <p>Scoping, shared by all rules: a policy looks at an object when its target covers the object's namespace and its
 * selector matches the object's labels (a Helm release or operator resource borrows the labels of the component's
 * Deployment in its namespace), and no exemption applies. Exemptions are the policy's {@code exemptions} list, and
 * the annotation {@code meshwarden.io/exempt} ({@code *} or policy names, comma separated) on the object or its
 * namespace. Exemption kinds are Kubernetes kinds, plus {@code HelmRelease} for Helm releases.
 */
package io.meshwarden.evaluate;

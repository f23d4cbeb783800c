#!/usr/bin/env python3
"""Smoke check of the injection oracle: renders istio-discovery with default values (istio.sh render), feeds the
oracle a handful of cases per pinned version and checks the answers Istio's injector is known to give.

    python3 src/test/istio/smoke.py [VERSION...]      (default: every pinned version)

Prints each case's oracle output line; exits 1 when an answer differs from the expectation. Python 3 standard
library only.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ISTIO_SH = os.path.join(HERE, "istio.sh")

NEW_NODES = [{"name": "n1", "kubeletVersion": "v1.34.1"}, {"name": "n2", "kubeletVersion": "v1.34.1"}]
MIXED_NODES = [{"name": "n1", "kubeletVersion": "v1.34.1"}, {"name": "n2", "kubeletVersion": "v1.32.4"}]
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_LIMITS = {"cpu": "2", "memory": "1Gi"}  # the chart's 2000m / 1024Mi, in canonical form


def pod(name, annotations=None, labels=None, containers=None):
    return {
        "metadata": {
            "generateName": name + "-",
            "labels": dict({"app": name}, **(labels or {})),
            "annotations": annotations or {},
        },
        "spec": {"containers": containers or [{"name": "app", "image": "nginx:1.27"}]},
    }


# (id, pod, namespace labels, nodes, env overrides, expected fields)
CASES = [
    ("plain", pod("plain"), {"istio-injection": "enabled"}, NEW_NODES, {},
     {"injected": True, "proxyIn": "initContainers", "nativeSidecar": True,
      "requests": DEFAULT_REQUESTS, "limits": DEFAULT_LIMITS}),
    ("proxyCPU-annotation", pod("anno", {"sidecar.istio.io/proxyCPU": "300m"}), {"istio-injection": "enabled"},
     NEW_NODES, {},
     # One annotation set: resources from the annotations only, global.proxy.resources ignored.
     {"injected": True, "requests": {"cpu": "300m"}, "limits": {}}),
    ("declared-istio-proxy", pod("declared", {"sidecar.istio.io/proxyCPU": "300m"}, containers=[
        {"name": "app", "image": "nginx:1.27"},
        {"name": "istio-proxy", "image": "auto", "resources": {"requests": {"cpu": "500m"}}}]),
     {"istio-injection": "enabled"}, NEW_NODES, {},
     # The declared container is re-applied over the injected one: 500m beats the annotation's 300m.
     {"injected": True, "proxyIn": "initContainers", "requests": {"cpu": "500m"}}),
    ("gateway-template", pod("gw", {"inject.istio.io/templates": "gateway", "sidecar.istio.io/proxyCPU": "300m",
                                    "sidecar.istio.io/proxyMemory": "256Mi", "sidecar.istio.io/proxyCPULimit": "1",
                                    "sidecar.istio.io/proxyMemoryLimit": "512Mi"},
                             labels={"istio": "ingressgateway"},
                             containers=[{"name": "istio-proxy", "image": "auto"}]),
     {"istio-injection": "enabled"}, NEW_NODES, {},
     # The gateway template sets no resources; the annotations do nothing.
     {"injected": True, "proxyIn": "containers", "requests": {}, "limits": {}}),
    ("auto-nodes-1.34", pod("native"), {"istio-injection": "enabled"}, NEW_NODES, {"ENABLE_NATIVE_SIDECARS": "auto"},
     {"injected": True, "proxyIn": "initContainers", "nativeSidecar": True}),
    ("auto-one-node-1.32", pod("classic"), {"istio-injection": "enabled"}, MIXED_NODES,
     {"ENABLE_NATIVE_SIDECARS": "auto"},
     {"injected": True, "proxyIn": "containers", "nativeSidecar": False}),
    # Beyond the six asked for: selection and the proxy config.
    ("unlabelled-namespace", pod("nolabel"), {}, NEW_NODES, {},
     {"injected": False, "selected": False, "proxyIn": ""}),
    ("pod-label-inject-false", pod("optout", labels={"sidecar.istio.io/inject": "false"}),
     {"istio-injection": "enabled"}, NEW_NODES, {}, {"injected": False, "selected": False}),
    ("tracing-annotation", pod("traced", {"proxy.istio.io/config": "tracing:\n  sampling: 10\n"}),
     {"istio-injection": "enabled"}, NEW_NODES, {}, {"injected": True, "proxyConfigTracingSampling": 10}),
    ("native-false", pod("forced-classic"), {"istio-injection": "enabled"}, NEW_NODES,
     {"ENABLE_NATIVE_SIDECARS": "false"}, {"injected": True, "proxyIn": "containers", "nativeSidecar": False}),
    # The API server's Pod defaulting: requests default to limits, after the webhook ...
    ("cpu-limit-annotation-only", pod("limitonly", {"sidecar.istio.io/proxyCPULimit": "1"}),
     {"istio-injection": "enabled"}, NEW_NODES, {}, {"injected": True, "requests": {"cpu": "1"}, "limits": {"cpu": "1"}}),
    # ... and before it, so a declared istio-proxy with only a CPU limit overrides the template's CPU request too.
    ("declared-limit-only", pod("declaredlimit", containers=[
        {"name": "app", "image": "nginx:1.27"},
        {"name": "istio-proxy", "image": "auto", "resources": {"limits": {"cpu": "700m"}}}]),
     {"istio-injection": "enabled"}, NEW_NODES, {},
     {"injected": True, "requests": {"cpu": "700m", "memory": "128Mi"}, "limits": {"cpu": "700m", "memory": "1Gi"}}),
]


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def smoke(version):
    rendered = json.loads(run("bash", ISTIO_SH, "render", version))
    oracle = run("bash", ISTIO_SH, "oracle", version).strip()
    lines = []
    for cid, p, ns_labels, nodes, env, _ in CASES:
        lines.append(json.dumps({
            "id": cid, "pod": p, "namespace": "shop", "namespaceLabels": ns_labels,
            "injectorConfig": rendered["injectorConfig"], "injectorValues": rendered["injectorValues"],
            "meshConfig": rendered["meshConfig"], "webhooks": rendered["webhooks"],
            "nodes": nodes, "nodeName": "", "env": dict(rendered["istiodEnv"], **env),
        }))
    out = run(oracle, stdin="\n".join(lines) + "\n").splitlines()
    failures = 0
    print(f"== istio.io/istio {version}")
    for (cid, *_, expected), line in zip(CASES, out):
        got = json.loads(line)
        bad = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
        if got.get("error"):
            bad["error"] = (got["error"], "")
        print(("FAIL " if bad else "ok   ") + line)
        for k, (g, w) in bad.items():
            print(f"       {k}: got {g!r}, want {w!r}")
        failures += bool(bad)
    if len(out) != len(CASES):
        print(f"FAIL: {len(out)} answers for {len(CASES)} cases")
        failures += 1
    return failures


def main():
    versions = sys.argv[1:] or run("bash", ISTIO_SH, "versions").split()
    failures = sum(smoke(v) for v in versions)
    total = len(versions) * len(CASES)
    print(f"{total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a Helm v3 release Secret exactly as Helm stores it, for example snapshots and tests.

Helm v3 keeps each revision in a Secret `sh.helm.release.v1.<name>.v<revision>` of type `helm.sh/release.v1`
whose `release` key holds base64(gzip(JSON of the release)); the Secret's `data` map base64-encodes that again.

usage: helm-release-secret.py NAME NAMESPACE REVISION STATUS CHART CHART_VERSION APP_VERSION DEFAULTS.json CONFIG.json
"""
import base64, gzip, json, sys

def main(argv):
    name, ns, rev, status, chart, version, app, defaults_file, config_file = argv
    with open(defaults_file) as f:
        defaults = json.load(f)
    with open(config_file) as f:
        config = json.load(f)
    release = {
        "name": name, "namespace": ns, "version": int(rev),
        "info": {"status": status, "description": "Install complete" if rev == "1" else "Upgrade complete"},
        "chart": {"metadata": {"name": chart, "version": version, "appVersion": app, "apiVersion": "v2"},
                  "values": defaults},
        "config": config,
        "manifest": "---\n# (rendered manifest omitted in this example)\n",
    }
    # mtime=0 keeps the output byte-identical across runs.
    helm_layer = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0)).decode()
    secret_data = base64.b64encode(helm_layer.encode()).decode()
    print(f"""apiVersion: v1
kind: Secret
type: helm.sh/release.v1
metadata:
  name: sh.helm.release.v1.{name}.v{rev}
  namespace: {ns}
  labels: {{name: {name}, owner: helm, status: {status}, version: "{rev}"}}
data:
  release: {secret_data}""")

if __name__ == "__main__":
    main(sys.argv[1:])

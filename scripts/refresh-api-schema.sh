#!/usr/bin/env bash
# Refreshes api/pve-9.json.gz (or api/pve-8.json.gz), Proxmox VE's API schema (see api/README.md).
#   scripts/refresh-api-schema.sh              PVE 9, from the PyPI package fakepve (FAKEPVE_VERSION)
#   scripts/refresh-api-schema.sh apidoc.js    PVE 9, from the API viewer's apidoc.js
#   OUT=api/pve-8.json.gz scripts/refresh-api-schema.sh apidoc.js    PVE 8's
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-api/pve-9.json.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if (($# == 1)); then
  python3 - "$1" "$work/new.json" <<'PY'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
# `const apiSchema = [...];` is followed by the viewer's own JavaScript: read the one
# JSON value that starts at the bracket, and nothing after it.
start = text.index("[", text.index("apiSchema"))
tree, _ = json.JSONDecoder().raw_decode(text, start)
PROSE = {"description", "verbose_description", "typetext", "format_description",
         "title", "renderer", "print_width"}
def schema(v):
    """A schema object: prose dropped; parameter and sub-key maps kept whole."""
    if isinstance(v, list):
        return [schema(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {}
    for k, x in v.items():
        if k in PROSE:
            continue
        if k == "properties" or (k == "format" and isinstance(x, dict)):
            out[k] = {name: schema(sub) for name, sub in x.items()}
        else:
            out[k] = schema(x)
    return out
def trim(info):
    return {m: schema(i) for m, i in info.items()}
paths = {}
def walk(nodes):
    for n in nodes:
        if n.get("info"):
            paths[n["path"]] = trim(n["info"])
        walk(n.get("children") or [])
walk(tree)
json.dump({"paths": paths}, open(sys.argv[2], "w"), sort_keys=True, separators=(",", ":"))
PY
else
  version=${FAKEPVE_VERSION:-0.5.0}
  python3 -m pip download --quiet --no-deps -d "$work" "fakepve==$version"
  python3 - "$work" "$work/new.json" <<'PY'
import glob, gzip, json, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/fakepve-*.whl")[0]
data = zipfile.ZipFile(wheel).read("fakepve/data/pve-api.json.gz")
json.dump(json.loads(gzip.decompress(data)), open(sys.argv[2], "w"),
          sort_keys=True, separators=(",", ":"))
PY
fi

python3 - "$out" "$work/new.json" <<'PY'
import gzip, json, sys
old = json.load(gzip.open(sys.argv[1])) if __import__("os").path.exists(sys.argv[1]) else {"paths": {}}
new = json.load(open(sys.argv[2]))
def methods(s):
    return {f"{m} {p}" for p, ms in s["paths"].items() for m in ms}
o, n = methods(old), methods(new)
print(f"methods: {len(o)} -> {len(n)}")
for m in sorted(n - o):
    print(f"  + {m}")
for m in sorted(o - n):
    print(f"  - {m}")
PY
gzip -9 -n -c "$work/new.json" > "$out"
echo "wrote $out; now update api/README.md and run: cargo test -p pve-helper schema api_class"

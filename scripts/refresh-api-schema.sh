#!/usr/bin/env bash
# Refreshes api/pve-9.json.gz, Proxmox VE's API schema (see api/README.md).
#   scripts/refresh-api-schema.sh              from the PyPI package fakepve (FAKEPVE_VERSION)
#   scripts/refresh-api-schema.sh apidoc.js    from the API viewer's apidoc.js
set -euo pipefail
cd "$(dirname "$0")/.."
out=api/pve-9.json.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if (($# == 1)); then
  python3 - "$1" "$work/new.json" <<'PY'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
start = text.index("[", text.index("apiSchema"))
end = text.rindex("]")
tree = json.loads(text[start:end + 1])
KEEP = {"type", "format", "optional", "enum", "pattern", "minimum", "maximum",
        "minLength", "maxLength", "alias", "default_key", "items", "requires",
        "keyAlias", "type-property", "instance-types", "oneOf", "default", "min", "max",
        "properties", "additionalProperties"}
def trim(v):
    if isinstance(v, dict):
        return {k: trim(x) for k, x in v.items() if k in KEEP or k not in
                {"description", "verbose_description", "typetext", "format_description",
                 "title", "renderer"}}
    if isinstance(v, list):
        return [trim(x) for x in v]
    return v
paths = {}
def walk(nodes):
    for n in nodes:
        if n.get("info"):
            paths[n["path"]] = {m: trim(i) for m, i in n["info"].items()}
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

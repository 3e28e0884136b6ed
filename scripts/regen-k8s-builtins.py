#!/usr/bin/env python3
"""Regenerates kgen's table of Kubernetes built-in type schemas (kgen/data/k8s-builtins/).

Source: the PyPI package kubernetes-validate (Apache-2.0), which ships Kubernetes' own OpenAPI
definitions, with every x-kubernetes-* extension, for each minor version. Run from anywhere:

    python3 scripts/regen-k8s-builtins.py            # downloads the pinned wheel with pip
    python3 scripts/regen-k8s-builtins.py --wheel W  # or reads a wheel you already have

Only this script needs Python and the network; kgen embeds its output and needs neither.

What it writes:
- bodies.jsonl: one normalised definition per line, each distinct body once across all versions;
- index.json: for every definition name, from which version on which body line applies (-1: absent).

Normalisation (see the comments below for why each step exists):
- `type: [t, "null"]` becomes `t` (optional fields; CRDs spell "may be absent" by leaving it out of
  `required`, and `nullable` would change what the API server accepts);
- `$ref: "#/$defs/N"` becomes `$ref: "N"` (kgen inlines it);
- keys a CRD may not carry, or that the source added, are dropped: x-kubernetes-patch-*,
  x-kubernetes-group-version-kind, x-kubernetes-unions, and `enum` (the source adds enums for
  apiVersion/kind only; Kubernetes' own OpenAPI has none);
- a `name` that is an inline-embedded LocalObjectReference's gets its `default: ""`;
- `x-kubernetes-list-type` on a node that is not an array (`[]byte` as a base64 string) is dropped;
- list-map keys that are neither required nor defaulted (the API server rejects such a CRD) get the
  default Kubernetes documents for them where it has one (LIST_MAP_KEY_DEFAULTS), otherwise the
  list becomes atomic;
- the object items of a list-type set are marked `x-kubernetes-map-type: atomic` (the API server
  requires it; kgen applies keys next to a `$ref` over the referenced schema).
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "kubernetes-validate"
VERSION = "1.37.0"
SHA256 = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kgen", "data", "k8s-builtins")

# Defaults Kubernetes declares (`+default=` in k8s.io/api) for list-map keys that are optional.
# controller-gen writes these too.
LIST_MAP_KEY_DEFAULTS = {
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.ServicePort", "protocol"): "TCP",
    ("io.k8s.api.core.v1.LocalObjectReference", "name"): "",
}

# LocalObjectReference.name is `+default=""` in k8s.io/api since 1.30, and every type that embeds
# LocalObjectReference inline (SecretKeySelector, ConfigMapEnvSource, ...) inherits it; the OpenAPI
# flattens the embedding but keeps the doc, which is how these fields are recognised.
EMBEDDED_LOCAL_OBJECT_REFERENCE_NAME_DOC = (
    "Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty."
)

DROPPED_KEYS = {
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-unions",
    "enum",
}


def fetch_wheel(dest):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", dest,
         f"{PACKAGE}=={VERSION}"],
        check=True,
    )
    (name,) = [f for f in os.listdir(dest) if f.endswith(".whl")]
    return os.path.join(dest, name)


def normalise(node):
    """A definition in the shape kgen reads: single types, short refs, CRD-legal keys only."""
    if isinstance(node, list):
        return [normalise(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED_KEYS:
            continue
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            if len(types) != 1:
                raise SystemExit(f"unexpected type list {value}")
            value = types[0]
        elif key == "$ref":
            value = value.removeprefix("#/$defs/")
        elif key == "properties":
            value = {k: normalise(v) for k, v in value.items()}
        else:
            value = normalise(value)
        out[key] = value
    # `[]byte` fields marked `+listType=atomic` are base64 strings in JSON; the API server accepts
    # list-type on arrays only.
    if out.get("type") != "array" and "x-kubernetes-list-type" in out:
        del out["x-kubernetes-list-type"]
    return out


def fix_list_map_keys(defs, version):
    """Every list-map key must be required or defaulted in a CRD; Kubernetes' own schemas do not care."""
    for name, body in defs.items():
        for prop in (body.get("properties") or {}).values():
            if prop.get("x-kubernetes-list-type") != "map":
                continue
            item_ref = prop.get("items", {}).get("$ref")
            if item_ref is None:
                raise SystemExit(f"{version} {name}: list-map items without $ref")
            item = defs[item_ref]
            required = set(item.get("required", []))
            keys = prop["x-kubernetes-list-map-keys"]
            missing = [k for k in keys if k not in required]
            if all((item_ref, k) in LIST_MAP_KEY_DEFAULTS for k in missing):
                for k in missing:
                    item["properties"][k]["default"] = LIST_MAP_KEY_DEFAULTS[(item_ref, k)]
            else:
                prop["x-kubernetes-list-type"] = "atomic"
                del prop["x-kubernetes-list-map-keys"]


def default_embedded_reference_names(defs):
    for body in defs.values():
        name = (body.get("properties") or {}).get("name")
        if name and name.get("type") == "string" and name.get("description", "").startswith(
                EMBEDDED_LOCAL_OBJECT_REFERENCE_NAME_DOC):
            name.setdefault("default", "")


def fix_sets_of_objects(defs):
    """A list-type set of objects needs atomic items in a CRD; mark the items so, which keeps the
    set's meaning (items are compared whole)."""
    for body in defs.values():
        for prop in (body.get("properties") or {}).values():
            if prop.get("x-kubernetes-list-type") != "set":
                continue
            items = prop.get("items", {})
            ref = items.get("$ref")
            if ref is not None and defs[ref].get("type") == "object" and defs[ref].get("x-kubernetes-map-type") != "atomic":
                items["x-kubernetes-map-type"] = "atomic"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="a kubernetes-validate wheel already on disk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(tmp)
        digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
        if digest != SHA256:
            raise SystemExit(f"{wheel}: sha256 {digest}, expected {SHA256} ({PACKAGE} {VERSION})")
        versions = {}
        with zipfile.ZipFile(wheel) as z:
            for member in z.namelist():
                m = re.fullmatch(r"kubernetes_validate/kubernetes-json-schema/v(\d+)\.(\d+)\.0-local/_definitions\.json",
                                 member)
                if m:
                    key = (int(m.group(1)), int(m.group(2)))
                    versions[key] = json.loads(z.read(member))["$defs"]
    ordered = sorted(versions)
    bodies = []  # serialised bodies, in first-seen order
    line_of = {}
    index = {}
    for vi, key in enumerate(ordered):
        version = f"{key[0]}.{key[1]}"
        defs = {name: normalise(body) for name, body in versions[key].items()}
        default_embedded_reference_names(defs)
        fix_list_map_keys(defs, version)
        fix_sets_of_objects(defs)
        for name in sorted(set(defs) | set(index)):
            if name in defs:
                text = json.dumps(defs[name], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                if text not in line_of:
                    line_of[text] = len(bodies)
                    bodies.append(text)
                line = line_of[text]
            else:
                line = -1
            history = index.setdefault(name, [])
            if not history or history[-1][1] != line:
                history.append([vi, line])
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "bodies.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for text in bodies:
            f.write(text + "\n")
    meta = {
        "source": f"PyPI {PACKAGE} {VERSION}, sha256 {digest}",
        "versions": [f"{a}.{b}" for a, b in ordered],
        "types": {name: index[name] for name in sorted(index)},
    }
    with open(os.path.join(OUT, "index.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(meta, f, sort_keys=False, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    print(f"{len(ordered)} versions, {len(index)} types, {len(bodies)} distinct bodies -> {OUT}")


if __name__ == "__main__":
    main()

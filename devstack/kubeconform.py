"""Validates rendered manifests with kubeconform (pinned, built by go_tools) against the Kubernetes JSON
schemas that the PyPI package kubernetes-validate ships, offline.

kubernetes-validate's "local" schemas say `$id: https://kubernetes.io/api/<kind>/<version>` and refer to
their shared definitions as `/api/_definitions.json`, which kubeconform would fetch from kubernetes.io.
prepared_schemas() copies one Kubernetes version's schemas into the cache with those references made
relative to the file (and the per-kind `$id` dropped, so they resolve against it); kubeconform then reads
them with `-schema-location` and never touches the network.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path

import kubernetes_validate  # only for the schema files it ships

from devstack.go_tools import KUBECONFORM, ensure_go_tool
from devstack.kafka import default_cache_dir

__all__ = ["KUBERNETES_VERSION", "KubeconformError", "Validation", "prepared_schemas", "validate"]

KUBERNETES_VERSION = "1.33.0"
_DEFINITIONS = "_definitions.json"
_MARKER = ".complete"


class KubeconformError(RuntimeError):
    """kubeconform found invalid objects, or objects of a kind it has no schema for."""


@dataclass(frozen=True)
class Validation:
    valid: int
    report: str


def _schema_source(kubernetes_version: str) -> Path:
    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{kubernetes_version}-local-strict"


def prepared_schemas(kubernetes_version: str = KUBERNETES_VERSION, cache_dir: Path | None = None) -> Path:
    """A folder holding `v<version>-local-strict/<kind>-<group>-<version>.json` that kubeconform can read."""
    package = f"kubernetes-validate-{installed_version('kubernetes-validate')}"
    root = (cache_dir or default_cache_dir()).resolve() / "kubeconform-schemas" / package
    target = root / f"v{kubernetes_version}-local-strict"
    if (target / _MARKER).exists():
        return root
    source = _schema_source(kubernetes_version)
    if not source.is_dir():
        raise KubeconformError(f"{package} ships no schemas for Kubernetes {kubernetes_version} ({source})")
    root.mkdir(parents=True, exist_ok=True)
    with (root / f".v{kubernetes_version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / _MARKER).exists():
            return root
        partial = root / f".v{kubernetes_version}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        for schema_file in source.glob("*.json"):
            text = schema_file.read_text()
            if schema_file.name != _DEFINITIONS:
                schema = json.loads(text)
                schema.pop("$id", None)
                text = json.dumps(schema).replace(f'"/api/{_DEFINITIONS}#', f'"{_DEFINITIONS}#')
            (partial / schema_file.name).write_text(text)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        (target / _MARKER).write_text(f"{source}\n")
    return root


def validate(manifests: str, kubernetes_version: str = KUBERNETES_VERSION, cache_dir: Path | None = None) -> Validation:
    """Validate a multi-document YAML text strictly (unknown fields are errors, unknown kinds too)."""
    kubeconform = ensure_go_tool(KUBECONFORM, cache_dir)
    schemas = prepared_schemas(kubernetes_version, cache_dir)
    location = (
        str(schemas)
        + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )
    result = subprocess.run(
        [
            str(kubeconform), "-strict", "-summary", "-output", "json",
            "-kubernetes-version", kubernetes_version, "-schema-location", location, "-",
        ],
        input=manifests, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    try:
        report = json.loads(result.stdout)
        summary = report["summary"]
    except (ValueError, KeyError):
        raise KubeconformError(f"kubeconform failed:\n{result.stdout}{result.stderr}") from None
    if result.returncode != 0 or summary["invalid"] or summary["errors"] or summary["skipped"]:
        problems = "\n".join(
            f"{r.get('kind')} {r.get('name')}: {r.get('msg')}"
            for r in report.get("resources", [])
            if r.get("status") != "statusValid"
        )
        raise KubeconformError(f"kubeconform: {summary}\n{problems}")
    return Validation(valid=int(summary["valid"]), report=result.stdout)

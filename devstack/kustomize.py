"""`kustomize build` of a deploy/k8s folder with the real kustomize (pinned, built by go_tools)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from devstack.go_tools import KUSTOMIZE, ensure_go_tool

__all__ = ["KustomizeError", "build", "build_resources"]


class KustomizeError(RuntimeError):
    """kustomize refused the kustomization; the message is its own."""


def build(folder: Path, cache_dir: Path | None = None) -> str:
    """The manifests `kubectl apply -k folder` would send, as one multi-document YAML text."""
    kustomize = ensure_go_tool(KUSTOMIZE, cache_dir)
    result = subprocess.run(
        [str(kustomize), "build", str(folder)], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise KustomizeError(f"kustomize build {folder} failed:\n{result.stderr.strip()}")
    return result.stdout


def build_resources(folder: Path, cache_dir: Path | None = None) -> list[dict[str, Any]]:
    """build(), parsed: one dict per Kubernetes object."""
    return [doc for doc in yaml.safe_load_all(build(folder, cache_dir)) if doc]

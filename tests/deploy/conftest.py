"""Fixtures of the deployment checks: deploy/k8s copied with an operator's secrets file, rendered by kustomize."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.kustomize import build_resources
from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT

K8S = REPO_ROOT / "deploy" / "k8s"
LAYERS = ("base", "overlays/example", "overlays/example-ingress")
SECRETS_FILE = Path("overlays/example/vtn-secrets.env")

Resource = dict[str, Any]

# Settings that name a file (certificates, keys, CA): in a container they must point into a mounted volume.
FILE_SETTINGS = {
    f"VTN_{name.upper()}"
    for name, field in VtnSettings.model_fields.items()
    if "Path" in str(field.annotation) and name != "xsd_path"
}


def write_operator_secrets(k8s: Path, admin_token: str | None = None) -> str:
    """What an operator puts next to the example overlay before `kubectl apply -k`; returns the token."""
    token = admin_token or secrets.token_hex(32)
    (k8s / SECRETS_FILE).write_text(
        f"VTN_ADMIN_TOKEN={token}\nVTN_DATABASE_URL=postgresql://vtn:a-password@vtn-db-rw.database.svc:5432/vtn\n"
    )
    return token


def copy_of_k8s(destination: Path) -> Path:
    """deploy/k8s copied without any secrets file a developer may have left in the work tree."""
    shutil.copytree(K8S, destination, ignore=shutil.ignore_patterns(SECRETS_FILE.name))
    return destination


@pytest.fixture(scope="session")
def operator_k8s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/k8s as an operator has it: the repository's files plus their vtn-secrets.env."""
    k8s = copy_of_k8s(tmp_path_factory.mktemp("deploy") / "k8s")
    write_operator_secrets(k8s)
    return k8s


@pytest.fixture(scope="session")
def render(operator_k8s: Path) -> Callable[[str], list[Resource]]:
    """kustomize build of a layer of the operator's copy, rendered once per layer."""
    rendered: dict[str, list[Resource]] = {}

    def _render(layer: str) -> list[Resource]:
        if layer not in rendered:
            rendered[layer] = build_resources(operator_k8s / layer)
        return rendered[layer]

    return _render


def by_kind(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def one_named(resources: list[Resource], kind: str, prefix: str) -> Resource:
    """The only object of `kind` whose name is `prefix` or `prefix-<suffix>` (a generated or release name)."""
    [found] = [r for name, r in by_kind(resources, kind).items() if name == prefix or name.startswith(prefix + "-")]
    return found


# tests/deploy/image talks to the stack `make image-test` starts with docker compose; it runs only there.
collect_ignore = [] if os.environ.get("VTN_IMAGE_TEST_URL") else ["image"]

"""The runtime image installs the runtime requirements only, and they hold everything the VTN imports."""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO_ROOT
from tests.test_boundaries import RUNTIME_PACKAGES, imported_modules


def _requirements(path: str) -> list[Requirement]:
    lines = (REPO_ROOT / path).read_text().splitlines()
    return [Requirement(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


def _installed_closure(roots: list[Requirement]) -> set[str]:
    """The distributions `pip install` brings for these requirements (dependencies of dependencies, extras)."""
    seen: set[str] = set()
    pending = [(root, frozenset(root.extras)) for root in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in (*extras, "")
            ):
                pending.append((dependency, frozenset(dependency.extras)))
    return seen


def _third_party_imports() -> set[str]:
    found = {m.split(".")[0] for package in RUNTIME_PACKAGES for m in imported_modules(package)}
    return {m for m in found if m not in sys.stdlib_module_names and m not in RUNTIME_PACKAGES}


def test_the_image_installs_the_runtime_requirements_only() -> None:
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY requirements.txt" in dockerfile and "-r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile and "openleadr" not in dockerfile.lower()


def test_every_module_the_runtime_imports_comes_with_the_runtime_requirements() -> None:
    installed = _installed_closure(_requirements("requirements.txt"))
    providers = metadata.packages_distributions()
    missing = {
        module: providers.get(module)
        for module in _third_party_imports()
        if not any(canonicalize_name(d) in installed for d in providers.get(module, []))
    }
    assert missing == {}


def test_development_requirements_are_not_in_the_runtime_set() -> None:
    installed = _installed_closure(_requirements("requirements.txt"))
    assert {"openleadr", "pytest", "mypy", "mkdocs"} & installed == set()

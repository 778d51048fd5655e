"""Architecture rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SERVICES = ("registration_svc", "event_svc", "report_svc", "presence_svc")


def imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (REPO_ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_see_xml(service: str) -> None:
    xml_modules = {m for m in imported_modules(service) if m.startswith(("lxml", "shared.oadr_xml", "signxml", "xml"))}
    assert xml_modules == set()


@pytest.mark.parametrize("service", SERVICES)
def test_services_do_not_import_each_other_or_the_gateway(service: str) -> None:
    others = {p for p in (*SERVICES, "gateway") if p != service}
    assert {m for m in imported_modules(service) if m.split(".")[0] in others} == set()


def test_shared_depends_on_no_service() -> None:
    assert {m for m in imported_modules("shared") if m.split(".")[0] in (*SERVICES, "gateway")} == set()


def test_pure_domain_modules_do_no_io() -> None:
    """Answers and policies-free builders are pure: no database, no Kafka, no awaits."""
    for path in (
        Path(REPO_ROOT / "registration_svc" / "replies.py"),
        Path(REPO_ROOT / "shared" / "oadr" / "answers.py"),
        Path(REPO_ROOT / "shared" / "awaited_replies.py"),
        Path(REPO_ROOT / "event_svc" / "answer_waits.py"),
    ):
        tree = ast.parse(path.read_text())
        assert not any(isinstance(node, (ast.Await, ast.AsyncFunctionDef)) for node in ast.walk(tree)), path


RUNTIME_PACKAGES = ("gateway", *SERVICES, "shared")


def openleadr_references(package: str) -> list[str]:
    """Imports of OpenLEADR, and module names handed to importlib (find_spec, import_module) as strings."""
    found = [f"import {m}" for m in imported_modules(package) if m.split(".")[0] == "openleadr"]
    for path in (REPO_ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value == "openleadr" or node.value.startswith("openleadr."):
                    found.append(f"{path.relative_to(REPO_ROOT)}: {node.value!r}")
    return found


@pytest.mark.parametrize("package", RUNTIME_PACKAGES)
def test_runtime_packages_do_not_need_openleadr(package: str) -> None:
    """OpenLEADR is a test and benchmark dependency: the image does not install it. The compatibility modules
    (report_svc/openleadr_compat.py, shared/openleadr_events.py) take OpenLEADR's shapes, not its package."""
    assert openleadr_references(package) == []

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

"""report_svc's domain modules are pure: no database, no Kafka, no awaits."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO_ROOT

PURE = (
    "confirmations/decisions.py",
    "ven_reports/requests_to_vens.py",
    "ven_reports/report_data.py",
    "ven_reports/publishing/lanes.py",
    "ven_reports/publishing/record_encoding.py",
    "own_reports/changes.py",
    "own_reports/schedule.py",
)


@pytest.mark.parametrize("module", PURE)
def test_domain_module_does_no_io(module: str) -> None:
    path = REPO_ROOT / "report_svc" / module
    tree = ast.parse(path.read_text())
    assert not any(isinstance(node, (ast.Await, ast.AsyncFunctionDef)) for node in ast.walk(tree))
    imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imports if m.split(".")[0] in ("asyncpg", "aiokafka") or m.startswith("shared.db")}

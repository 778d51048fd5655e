"""`make venv` installs the development requirements, and again whenever any file they include changes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devstack.bootstrap import ensure_venv, requirement_files
from tests.conftest import REPO_ROOT

# Stands in for .venv/bin/python: records each pip invocation instead of installing anything.
FAKE_PYTHON = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../pip-calls"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("fastapi==1.0\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.0  # tests\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def pip_calls(repo: Path) -> list[str]:
    calls = repo / ".venv" / "pip-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_venv_gets_the_development_requirements(repo: Path) -> None:
    ensure_venv(repo)
    [call] = pip_calls(repo)
    assert call.endswith(f"-r {repo / 'requirements-dev.txt'}")


def test_an_unchanged_venv_is_not_installed_again(repo: Path) -> None:
    ensure_venv(repo)
    ensure_venv(repo)
    assert len(pip_calls(repo)) == 1


@pytest.mark.parametrize("changed", ["requirements.txt", "requirements-dev.txt"])
def test_a_change_to_either_file_installs_again(repo: Path, changed: str) -> None:
    ensure_venv(repo)
    with (repo / changed).open("a") as file:
        file.write("orjson==3.0\n")
    ensure_venv(repo)
    assert len(pip_calls(repo)) == 2


def test_the_included_files_are_followed() -> None:
    files = requirement_files(REPO_ROOT / "requirements-dev.txt")
    assert [path.name for path in files] == ["requirements-dev.txt", "requirements.txt"]


def test_openleadr_is_a_development_requirement_only() -> None:
    runtime = (REPO_ROOT / "requirements.txt").read_text()
    development = (REPO_ROOT / "requirements-dev.txt").read_text()
    assert "openleadr" not in runtime.lower()
    assert "\nopenleadr==" in development and "-r requirements.txt" in development

"""The code is typed, and mypy --strict (configured in pyproject.toml) agrees."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

PACKAGES = ("shared", "gateway", "registration_svc", "presence_svc", "event_svc", "report_svc", "devstack")


def test_mypy_strict_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *PACKAGES], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr

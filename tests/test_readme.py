"""The README documents every setting, and the two commands it promises exist."""

from __future__ import annotations

from shared.settings import VtnSettings
from tests.conftest import REPO_ROOT


def test_every_setting_is_documented() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [f"VTN_{name.upper()}" for name in VtnSettings.model_fields if f"VTN_{name.upper()}" not in readme]
    assert missing == []


def test_make_run_and_make_test_exist() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\nrun:" in makefile and "\ntest:" in makefile
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()

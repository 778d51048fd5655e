"""Settings renamed since an earlier release (VTN_VTN_ID and its kin) are still read under their former names,
the current name winning, and each process warns about every one of them once at start; nothing the project
ships uses a former name any more."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from shared.settings import FORMER_NAMES, VtnSettings, setting_name
from shared.startup import start_process
from tests.conftest import REPO_ROOT
from tests.test_wording import tracked_files

# Where a former name may still be written: its definition, the generated settings table, the changelog, here.
MAY_NAME_FORMER_NAMES = {
    "shared/settings.py",
    "docs/settings.md",
    "CHANGELOG.md",
    "tests/shared/test_former_setting_names.py",
}


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """start_process configures the root logger for a process: put the test session's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_former_name_still_sets_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTN_VTN_ID", "Former")
    monkeypatch.setenv("vtn_vtn_report_check_seconds", "2.5")  # names compare case-insensitively, as all do
    monkeypatch.setenv("VTN_VTN_REPORTS", "[]")
    settings = VtnSettings()
    assert (settings.id, settings.own_report_check_seconds, settings.own_reports) == ("Former", 2.5, "[]")


def test_the_current_name_wins_when_both_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTN_VTN_ID", "Former")
    monkeypatch.setenv("VTN_ID", "Current")
    assert VtnSettings().id == "Current"


def test_a_former_name_is_checked_like_the_current_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTN_VTN_REPORT_CHECK_SECONDS", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        VtnSettings()


def _setting_renamed_lines(output: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("action") == "setting_renamed"]


def test_a_process_warns_once_at_start_about_each_former_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    for former in FORMER_NAMES:
        monkeypatch.setenv(former, "1")
    monkeypatch.setenv("VTN_ID", "Current")
    settings = start_process("test")
    VtnSettings()  # settings read again later in the process warn no more
    warnings = _setting_renamed_lines(capsys.readouterr().out)
    assert sorted(str(w["former_name"]) for w in warnings) == sorted(FORMER_NAMES)
    assert {str(w["former_name"]): w["current_name"] for w in warnings} == {
        former: setting_name(field) for former, field in FORMER_NAMES.items()
    }
    assert all(w["level"] == "warning" for w in warnings)
    assert [w["ignored"] for w in warnings if w["former_name"] == "VTN_VTN_ID"] == [True]
    assert settings.id == "Current"


def test_a_process_given_only_current_names_warns_about_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    monkeypatch.setenv("VTN_ID", "Current")
    start_process("test")
    assert _setting_renamed_lines(capsys.readouterr().out) == []


def test_nothing_the_project_ships_uses_a_former_name() -> None:
    found = {
        path: [former for former in FORMER_NAMES if former in (REPO_ROOT / path).read_text(errors="replace")]
        for path in tracked_files()
        if path not in MAY_NAME_FORMER_NAMES and (REPO_ROOT / path).is_file()
    }
    assert {path: names for path, names in found.items() if names} == {}

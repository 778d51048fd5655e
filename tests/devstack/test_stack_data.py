"""Where Kafka's and PostgreSQL's data live, and what teardown removes: throwaway data goes, kept data stays,
and a throwaway run never touches the data a `run --keep-data` kept in the same folder (no servers needed)."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.config import StackConfig, keep_data_requested
from devstack.stack import Infrastructure
from tests.conftest import REPO_ROOT


@pytest.fixture
def config(tmp_path: Path) -> StackConfig:
    return replace(StackConfig.from_env("run", {}), state_dir=tmp_path / "run")


def _fill(infra: Infrastructure) -> list[Path]:
    """A file in each server's folder, as a run leaves them."""
    marks = [infra.kafka.data_dir / "meta.properties", infra.postgres.data_dir / "PG_VERSION"]
    for mark in marks:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.write_text("data")
    return marks


def test_kept_data_lives_under_data_and_throwaway_data_beside_it(config: StackConfig) -> None:
    kept = Infrastructure(replace(config, keep_data=True))
    throwaway = Infrastructure(config)
    assert kept.kafka.base_dir == config.state_dir / "data" / "kafka"
    assert throwaway.kafka.base_dir == config.state_dir / "kafka"
    assert kept.postgres.base_dir != throwaway.postgres.base_dir
    assert kept.postgres.fsync and not throwaway.postgres.fsync, "kept data is written durably"


def test_teardown_removes_throwaway_data_but_not_kept_data(config: StackConfig) -> None:
    kept = Infrastructure(replace(config, keep_data=True))
    throwaway = Infrastructure(config)
    kept_marks, throwaway_marks = _fill(kept), _fill(throwaway)
    throwaway.stop()
    assert not any(mark.exists() for mark in throwaway_marks)
    assert all(mark.exists() for mark in kept_marks), "a throwaway run left the kept data alone"
    kept.stop()
    assert all(mark.exists() for mark in kept_marks)
    kept.postgres.destroy()  # the cluster folder may be outside tmp_path (under /tmp when run as root)


@pytest.mark.parametrize(("value", "wanted"), [("", False), ("0", False), ("no", False), ("1", True), ("true", True)])
def test_keep_data_is_asked_by_environment(value: str, wanted: bool) -> None:
    assert keep_data_requested({"VTN_DEVSTACK_KEEP_DATA": value}) is wanted


def test_an_unclear_keep_data_value_is_refused() -> None:
    with pytest.raises(SystemExit, match="VTN_DEVSTACK_KEEP_DATA"):
        keep_data_requested({"VTN_DEVSTACK_KEEP_DATA": "maybe"})


def test_make_run_keep_asks_the_runner_to_keep_data() -> None:
    def recipe(*args: str) -> str:
        made = subprocess.run(["make", "-n", "run", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        return made.stdout

    assert "VTN_DEVSTACK_KEEP_DATA=1 " in recipe("KEEP=1")
    assert "VTN_DEVSTACK_KEEP_DATA" not in recipe()

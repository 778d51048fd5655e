"""The supervisor's loop without real processes: fake processes that end when told, and a clock the test moves."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from devstack.restart_policy import RestartPolicy
from devstack.supervisor import CrashLoop, Supervisor, describe_exit

POLICY = RestartPolicy(first_delay=1.0, factor=2.0, max_delay=30.0, crash_loop_limit=3, stable_after=60.0)


class FakeProcess:
    def __init__(self, name: str, *, failing_starts: int = 0) -> None:
        self.name = name
        self.log_path: Path | None = Path(f"/logs/{name}.log")
        self.returncode: int | None = None
        self.starts = 0
        self.failing_starts = failing_starts
        self._running = True

    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self.failing_starts:
            self.failing_starts -= 1
            raise RuntimeError("port already in use")
        self.starts += 1
        self._running = True
        self.returncode = None

    def crash(self, returncode: int = -signal.SIGKILL) -> None:
        self._running = False
        self.returncode = returncode


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lines() -> list[str]:
    return []


def supervisor_of(clock: Clock, lines: list[str], status_path: Path | None = None) -> Supervisor:
    return Supervisor(POLICY, status_path=status_path, clock=clock, report=lines.append)


def test_a_crashed_process_is_restarted_after_the_backoff_while_the_others_keep_running(
    clock: Clock, lines: list[str]
) -> None:
    crashing, steady = FakeProcess("event_svc"), FakeProcess("gateway")
    supervisor = supervisor_of(clock, lines)
    supervisor.watch([crashing, steady])
    clock.now += 5
    crashing.crash()
    supervisor.check()
    assert crashing.starts == 0, "the first restart waits first_delay"
    assert "event_svc crashed (killed by SIGKILL) after 5.0 s: crash 1, 1 in a row; restarting in 1.0 s" in lines[0]
    assert "/logs/event_svc.log" in lines[0]
    clock.now += 0.9
    supervisor.check()
    assert crashing.starts == 0
    clock.now += 0.1
    supervisor.check()
    assert crashing.starts == 1 and crashing.is_running()
    assert steady.starts == 0 and steady.is_running()
    assert lines[-1] == "event_svc restarted (restart 1)"
    assert supervisor.crashes() == {"event_svc": 1, "gateway": 0}


def test_quick_crashes_in_a_row_wait_longer_each_time_then_the_supervisor_gives_up(
    clock: Clock, lines: list[str]
) -> None:
    process = FakeProcess("report_svc")
    supervisor = supervisor_of(clock, lines)
    supervisor.watch([process])
    waits = []
    for _ in range(POLICY.crash_loop_limit - 1):
        process.crash(1)
        supervisor.check()
        started = clock.now
        while process.starts == len(waits):
            clock.now += 0.5
            supervisor.check()
        waits.append(clock.now - started)
    assert waits == [1.0, 2.0]
    process.crash(1)
    with pytest.raises(CrashLoop) as gave_up:
        supervisor.check()
    message = str(gave_up.value)
    assert "report_svc crashed 3 times in a row" in message and "exit status 1" in message
    assert "giving up" in message and "/logs/report_svc.log" in message


def test_a_start_that_fails_counts_as_a_crash_and_is_tried_again_later(clock: Clock, lines: list[str]) -> None:
    process = FakeProcess("postgres", failing_starts=1)
    supervisor = supervisor_of(clock, lines)
    supervisor.watch([process])
    process.crash()
    supervisor.check()
    clock.now += 1.0
    supervisor.check()  # the restart fails: crash 2 in a row, next try in 2 s
    assert any("restarting postgres failed: port already in use" in line for line in lines)
    assert process.starts == 0 and supervisor.crashes() == {"postgres": 2}
    clock.now += 2.0
    supervisor.check()
    assert process.starts == 1 and process.is_running()


def test_the_status_file_counts_crashes_and_restarts(clock: Clock, lines: list[str], tmp_path: Path) -> None:
    status_path = tmp_path / "status.json"
    kafka, gateway = FakeProcess("kafka"), FakeProcess("gateway")
    supervisor = supervisor_of(clock, lines, status_path)
    supervisor.watch([kafka, gateway])
    assert json.loads(status_path.read_text())["kafka"] == {
        "state": "running", "crashes": 0, "crashes_in_a_row": 0, "restarts": 0, "last_exit": None
    }  # fmt: skip
    kafka.crash(137)
    supervisor.check()
    assert json.loads(status_path.read_text())["kafka"]["state"] == "waiting to restart"
    clock.now += 1.0
    supervisor.check()
    status = json.loads(status_path.read_text())
    assert status["kafka"] == {
        "state": "running", "crashes": 1, "crashes_in_a_row": 1, "restarts": 1, "last_exit": "exit status 137"
    }  # fmt: skip
    assert status["gateway"]["crashes"] == 0


def test_exits_are_described_by_status_or_signal() -> None:
    assert describe_exit(0) == "exit status 0"
    assert describe_exit(3) == "exit status 3"
    assert describe_exit(-signal.SIGTERM) == "killed by SIGTERM"
    assert describe_exit(-200) == "killed by signal 200"
    assert describe_exit(None) == "exit status unknown"

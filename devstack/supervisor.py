"""Keeping the one-machine VTN running: a process that crashes is started again, the others keep serving.

The runner starts each process, then hands it to a Supervisor and calls check() a few times a second.
check() notices a process that ended, logs it with its exit status, counts it, and schedules its restart
after the backoff of devstack.restart_policy; a restart that is due is done in the same call. After the
crash-loop limit check() raises CrashLoop, and the runner stops everything. The counts are also written
to a JSON status file (name -> state, crashes, restarts, last exit), replaced atomically on every change.

Nothing here sleeps or runs in a thread: the runner's loop owns the timing, so a Ctrl-C between two
checks stops a clean stack.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from devstack.console import say
from devstack.restart_policy import CrashRecord, GiveUp, RestartPolicy, after_crash

__all__ = ["CrashLoop", "Supervised", "Supervisor", "describe_exit"]


class Supervised(Protocol):
    """A process the supervisor can watch and start again (a ManagedProcess, or Kafka's or PostgreSQL's adapter)."""

    @property
    def name(self) -> str: ...

    @property
    def log_path(self) -> Path | None: ...

    @property
    def returncode(self) -> int | None: ...

    def is_running(self) -> bool: ...

    def start(self) -> None: ...


class CrashLoop(Exception):
    """A process crashed `crash_loop_limit` times in a row; the message says which, how, and where to look."""


def describe_exit(returncode: int | None) -> str:
    """How a process ended, from its exit status (negative: the signal that killed it)."""
    if returncode is None:
        return "exit status unknown"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


@dataclass
class _Watch:
    process: Supervised
    started_at: float
    record: CrashRecord
    restarts: int = 0
    last_exit: str | None = None
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        policy: RestartPolicy,
        *,
        status_path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        report: Callable[[str], None] = say,
    ) -> None:
        self.policy = policy
        self.status_path = status_path
        self._clock = clock
        self._report = report
        self._watches: dict[str, _Watch] = {}

    def watch(self, processes: Iterable[Supervised]) -> None:
        """Supervise processes that were just started (their run starts now)."""
        now = self._clock()
        for process in processes:
            self._watches[process.name] = _Watch(process, now, CrashRecord())
        self._write_status()

    def check(self) -> None:
        """Notice crashes and schedule their restarts; do the restarts that are due. Raises CrashLoop."""
        changed = False
        for watch in self._watches.values():
            if watch.restart_at is None and not watch.process.is_running():
                self._crashed(watch, watch.process.returncode)
                changed = True
            if watch.restart_at is not None and self._clock() >= watch.restart_at:
                self._restart(watch)
                changed = True
        if changed:
            self._write_status()

    def crashes(self) -> dict[str, int]:
        """How many times each process crashed since it was first watched."""
        return {name: watch.record.crashes for name, watch in self._watches.items()}

    def _crashed(self, watch: _Watch, returncode: int | None) -> None:
        ran_for = self._clock() - watch.started_at
        watch.last_exit = describe_exit(returncode)
        decision = after_crash(self.policy, watch.record, ran_for)
        watch.record = decision.record
        name, log = watch.process.name, watch.process.log_path
        where = f"; see {log}" if log is not None else ""
        if isinstance(decision, GiveUp):
            self._write_status()
            raise CrashLoop(
                f"{name} crashed {decision.record.in_a_row} times in a row, each time within"
                f" {self.policy.stable_after:.0f} s of its start (last: {watch.last_exit}): giving up{where}"
            )
        watch.restart_at = self._clock() + decision.delay
        self._report(
            f"{name} crashed ({watch.last_exit}) after {ran_for:.1f} s: crash {decision.record.crashes},"
            f" {decision.record.in_a_row} in a row; restarting in {decision.delay:.1f} s{where}"
        )

    def _restart(self, watch: _Watch) -> None:
        watch.restart_at = None
        watch.restarts += 1
        watch.started_at = self._clock()
        try:
            watch.process.start()
        except Exception as error:  # a start that fails counts as a crash after a run of no time
            self._report(f"restarting {watch.process.name} failed: {error}")
            self._crashed(watch, None)
            return
        self._report(f"{watch.process.name} restarted (restart {watch.restarts})")

    def _write_status(self) -> None:
        if self.status_path is None:
            return
        status = {
            name: {
                "state": "running" if watch.restart_at is None else "waiting to restart",
                "crashes": watch.record.crashes,
                "crashes_in_a_row": watch.record.in_a_row,
                "restarts": watch.restarts,
                "last_exit": watch.last_exit,
            }
            for name, watch in self._watches.items()
        }
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.status_path.with_suffix(".partial")
        partial.write_text(json.dumps(status, indent=2) + "\n")
        os.replace(partial, self.status_path)

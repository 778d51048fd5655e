"""When a supervised process that ended is started again: exponential backoff and a crash-loop limit.

A process that ended on its own (it was not asked to stop) has crashed. The first restart waits
`first_delay` seconds, each further crash in a row waits `factor` times longer, up to `max_delay`. A run
that lasted `stable_after` seconds or more ends the series: its crash starts a new one at `first_delay`.
The `crash_loop_limit`-th crash in a row means the process cannot run here, and the supervisor gives up.
A start that fails outright counts as a crash after a run of no time.

Pure: no clock, no processes; the supervisor passes the durations in.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CrashRecord", "GiveUp", "Restart", "RestartPolicy", "after_crash"]


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    crash_loop_limit: int = 5
    stable_after: float = 60.0

    def __post_init__(self) -> None:
        if self.first_delay < 0 or self.factor < 1 or self.max_delay < self.first_delay:
            raise ValueError("backoff needs 0 <= first_delay <= max_delay and factor >= 1")
        if self.crash_loop_limit < 1 or self.stable_after <= 0:
            raise ValueError("crash_loop_limit must be at least 1 and stable_after positive")

    def delay(self, crashes_in_a_row: int) -> float:
        """The wait before restarting after the n-th crash in a row (n >= 1)."""
        if crashes_in_a_row < 1:
            raise ValueError("the first crash in a row is number 1")
        return min(self.max_delay, self.first_delay * self.factor ** (crashes_in_a_row - 1))


@dataclass(frozen=True)
class CrashRecord:
    """What one process went through since the runner started it: every crash, and the current series."""

    crashes: int = 0
    in_a_row: int = 0


@dataclass(frozen=True)
class Restart:
    record: CrashRecord
    delay: float


@dataclass(frozen=True)
class GiveUp:
    record: CrashRecord


def after_crash(policy: RestartPolicy, record: CrashRecord, ran_for: float) -> Restart | GiveUp:
    """The decision after a crash that ended a run of `ran_for` seconds, with the updated record."""
    in_a_row = 1 if ran_for >= policy.stable_after else record.in_a_row + 1
    updated = CrashRecord(crashes=record.crashes + 1, in_a_row=in_a_row)
    if in_a_row >= policy.crash_loop_limit:
        return GiveUp(updated)
    return Restart(updated, policy.delay(in_a_row))

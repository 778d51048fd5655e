"""Log lines that outsiders can provoke, at a bounded rate.

A refusal (a forged signature, an untrusted certificate, a connection over its cap, a slow client timed out)
is counted by a metric every time; the log is for a person, who needs an example of each reason and how
often it happens, not one line per attempt: an attacker must not control the log volume.

For each (action, reason) the first `burst` lines of a period are written as given; later ones in that
period are only counted. When the period ends, one summary line with the same action and reason says how
many were left out (`suppressed`), and the next period starts with a fresh budget. A flood of one reason
therefore writes at most `burst` + 1 lines per period, whatever its rate. The summary is written by a timer
on the running event loop, so it appears even when the flood stops; without a loop it is written with the
next line of its kind or by `flush()`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BURST = 5
DEFAULT_PERIOD_SECONDS = 60.0
MAX_KINDS = 1000
OTHER_REASON = "other"


@dataclass
class _Period:
    started: float
    level: int
    message: str
    written: int = 0
    suppressed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ThrottledLog:
    """Writes `logger` lines per (action, reason) at most `burst` times per period, then summarises."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = DEFAULT_BURST,
        period_seconds: float = DEFAULT_PERIOD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or period_seconds <= 0:
            raise ValueError("a throttled log writes at least one line per period, and periods last")
        self._logger = logger
        self._burst = burst
        self._period = period_seconds
        self._clock = clock
        self._periods: dict[tuple[str, str], _Period] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._next_end = float("inf")  # when the earliest period ends: no scan before

    def warning(self, action: str, reason: str, message: str, **extra: Any) -> None:
        self.log(logging.WARNING, action, reason, message, **extra)

    def info(self, action: str, reason: str, message: str, **extra: Any) -> None:
        self.log(logging.INFO, action, reason, message, **extra)

    def log(self, level: int, action: str, reason: str, message: str, **extra: Any) -> None:
        if not self._logger.isEnabledFor(level):
            return
        now = self._clock()
        self._end_periods(now)
        key = (action, reason)
        period = self._periods.get(key)
        if period is None:
            if len(self._periods) >= MAX_KINDS:  # reasons are a bounded set; this only guards against a bug
                key, reason = (action, OTHER_REASON), OTHER_REASON
                period = self._periods.get(key)
            if period is None:
                period = self._periods[key] = _Period(now, level, message)
                self._next_end = min(self._next_end, now + self._period)
        if period.written < self._burst:
            period.written += 1
            self._logger.log(level, message, extra={**extra, "action": action, "reason": reason})
            return
        period.suppressed += 1
        period.extra = extra
        if period.suppressed == 1:
            self._wake_at(period.started + self._period)

    def flush(self) -> None:
        """Write the summaries of every period that has ended."""
        self._end_periods(self._clock())

    def _end_periods(self, now: float) -> None:
        if now < self._next_end:
            return
        for key in [key for key, period in self._periods.items() if now - period.started >= self._period]:
            period = self._periods.pop(key)
            if period.suppressed:
                action, reason = key
                self._logger.log(
                    period.level,
                    f"{period.message} ({period.suppressed} more like this in {self._period:g} s, not written)",
                    extra={
                        **period.extra,
                        "action": action,
                        "reason": reason,
                        "suppressed": period.suppressed,
                        "period_seconds": self._period,
                    },
                )
        self._next_end = min((p.started + self._period for p in self._periods.values()), default=float("inf"))

    def _wake_at(self, deadline: float) -> None:
        if self._timer is not None and self._timer_due <= deadline:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the summary waits for the next line or flush()
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = deadline
        self._timer = loop.call_later(max(0.0, deadline - self._clock()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()
        pending = [p.started + self._period for p in self._periods.values() if p.suppressed]
        if pending:
            self._wake_at(min(pending))

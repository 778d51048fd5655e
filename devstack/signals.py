"""Turning SIGINT, SIGTERM and SIGHUP into an orderly stop of the main thread.

While armed, the first signal raises StopRequested wherever the main thread is (a wait, a sleep, a
subprocess), so start-up can be cut short; while disarmed (during teardown), signals are only recorded.
"""

from __future__ import annotations

import signal
from types import FrameType

from devstack.console import say

__all__ = ["SignalGuard", "StopRequested"]

_HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class SignalGuard:
    def __init__(self) -> None:
        self.armed = False
        self.received: int | None = None

    def install(self) -> None:
        for signum in _HANDLED:
            signal.signal(signum, self._handle)

    def arm(self) -> None:
        if self.received is not None:
            raise StopRequested(self.received)
        self.armed = True

    def disarm(self) -> None:
        self.armed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        self.received = self.received or signum
        if self.armed and first:
            self.armed = False
            raise StopRequested(signum)
        say(f"{signal.Signals(signum).name} received: stopping, please wait")

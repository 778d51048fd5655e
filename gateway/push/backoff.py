"""How long to wait before pushing again to a VEN that could not be reached. Pure: no I/O.

Exponential, from VTN_PUSH_RETRY_INITIAL_SECONDS doubling up to VTN_PUSH_RETRY_MAX_SECONDS, with "full
jitter" on the upper half (a delay is drawn between half and all of the exponential step), so that VENs
that failed together (a network cut, a restarted site gateway) do not all come back in the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    initial_seconds: float
    max_seconds: float

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        """The wait after `failures` consecutive failures (1 for the first)."""
        step: float = min(self.max_seconds, self.initial_seconds * 2.0 ** min(max(failures, 1) - 1, 30))
        return step / 2 + draw() * step / 2

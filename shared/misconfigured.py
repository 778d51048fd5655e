"""A setting that points at something which refuses the VTN: retrying cannot help, so the process stops.

Raised at start by the checks that reach Kafka (shared.bus.broker_access) and PostgreSQL (shared.db.pool)
and by the builders of their TLS contexts. `exits_when_misconfigured` turns it into one log line naming the
setting and exit status 78 (EX_CONFIG), so an orchestrator shows the reason instead of a restart loop's
timeouts; a service's readiness stays 503 until then.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)

EXIT_MISCONFIGURED = 78  # sysexits.h EX_CONFIG


class Misconfigured(Exception):
    """`setting` (an environment variable, or several joined by " / ") must change: `problem` says why."""

    retriable = False

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{problem} (check {setting})")
        self.setting = setting
        self.problem = problem


@contextlib.contextmanager
def exits_when_misconfigured() -> Iterator[None]:
    try:
        yield
    except Misconfigured as exc:
        log.error(
            "misconfigured, stopping",
            extra={"action": "misconfigured", "setting": exc.setting, "error": str(exc)},
        )
        raise SystemExit(EXIT_MISCONFIGURED) from None

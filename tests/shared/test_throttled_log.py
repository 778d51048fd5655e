"""A throttled log writes the first lines of each reason per period, then one summary with the count left out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from shared.throttled_log import MAX_KINDS, ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Records:
    """The records captured so far (pytest's list is replaced between a test's set-up and its call)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    def __len__(self) -> int:
        return len(self._caplog.records)

    def __iter__(self) -> Iterator[logging.LogRecord]:
        return iter(self._caplog.records)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Records:
    caplog.set_level(logging.INFO, logger="test.throttled")
    return Records(caplog)


def lines(records: Records, reason: str) -> list[logging.LogRecord]:
    return [r for r in records if getattr(r, "reason", None) == reason]


def test_a_flood_writes_the_first_lines_then_one_summary_per_period(records: Records) -> None:
    clock = Clock()
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=3, period_seconds=60, clock=clock)
    for index in range(10_000):
        throttled.warning("security_refused", "replay", "request refused", detail=f"attempt {index}")
    assert [r.detail for r in lines(records, "replay")] == ["attempt 0", "attempt 1", "attempt 2"]  # type: ignore[attr-defined]
    clock.now += 60
    throttled.flush()
    summary = lines(records, "replay")[-1]
    assert (summary.action, summary.suppressed, summary.levelno) == ("security_refused", 9_997, logging.WARNING)  # type: ignore[attr-defined]
    assert "9997 more like this in 60 s" in summary.getMessage()
    # the next period starts with a fresh budget
    for _ in range(5):
        throttled.warning("security_refused", "replay", "request refused")
    assert len(lines(records, "replay")) == 4 + 3


def test_each_reason_has_its_own_budget(records: Records) -> None:
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=2, clock=Clock())
    for _ in range(100):
        throttled.warning("security_refused", "replay", "refused")
        throttled.warning("security_refused", "signature_invalid", "refused")
        throttled.info("connection_timed_out", "replay", "closed")  # same reason, another action
    assert len(lines(records, "replay")) == 4
    assert len(lines(records, "signature_invalid")) == 2


def test_a_quiet_period_writes_no_summary(records: Records) -> None:
    clock = Clock()
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=5, clock=clock)
    throttled.warning("security_refused", "replay", "refused")
    clock.now += 120
    throttled.flush()
    assert len(records) == 1


async def test_the_summary_comes_when_the_period_ends_even_if_the_flood_stops(records: Records) -> None:
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=1, period_seconds=0.2)
    for _ in range(50):
        throttled.warning("security_refused", "replay", "refused")
    assert len(records) == 1
    await asyncio.sleep(0.4)
    assert [getattr(r, "suppressed", None) for r in records] == [None, 49]


def test_lines_below_the_loggers_level_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="test.throttled")
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=1, clock=Clock())
    for _ in range(10):
        throttled.info("connection_timed_out", "keepalive_idle", "closed")
    throttled.flush()
    assert caplog.records == []


def test_the_number_of_kinds_is_bounded(records: Records) -> None:
    throttled = ThrottledLog(logging.getLogger("test.throttled"), burst=1, clock=Clock())
    for index in range(MAX_KINDS + 50):
        throttled.warning("security_refused", f"reason-{index}", "refused")
    assert len(records) == MAX_KINDS + 1  # the rest share the "other" budget

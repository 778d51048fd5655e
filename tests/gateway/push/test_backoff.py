"""Retry waits: doubling from the initial wait up to the maximum, jittered between half and all of each step."""

from __future__ import annotations

from gateway.push.backoff import Backoff


def test_the_wait_doubles_up_to_the_maximum() -> None:
    backoff = Backoff(initial_seconds=1.0, max_seconds=60.0)
    assert [backoff.delay(n, draw=lambda: 1.0) for n in (1, 2, 3, 4, 7, 8, 100)] == [1, 2, 4, 8, 60, 60, 60]


def test_jitter_keeps_each_wait_between_half_and_all_of_its_step() -> None:
    backoff = Backoff(initial_seconds=2.0, max_seconds=30.0)
    assert backoff.delay(3, draw=lambda: 0.0) == 4.0
    assert backoff.delay(3, draw=lambda: 0.5) == 6.0
    assert 4.0 <= backoff.delay(3) <= 8.0

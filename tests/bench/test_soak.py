"""The soak bench's arithmetic: slopes per minute after the warm-up, and the markdown summary."""

from __future__ import annotations

import os

from bench.memory import memory_mb, process_memory_mb
from bench.soak import Sample, SoakReport, markdown, slope_per_minute, trends


def test_the_slope_is_per_minute_and_zero_when_flat() -> None:
    assert slope_per_minute([(0, 100.0), (60, 110.0), (120, 120.0)]) == 10.0
    assert slope_per_minute([(0, 5.0), (30, 5.0), (60, 5.0)]) == 0.0
    assert slope_per_minute([(0, 5.0)]) == 0.0


def test_trends_ignore_the_warm_up() -> None:
    # memory grows during the first quarter only (caches filling), then stays flat
    samples = [
        Sample(at_s=t, rss_mb={"gateway": 50.0 + min(t, 60) / 2}, http_requests=t * 10, http_errors=0, handler_errors=0)
        for t in range(0, 400, 20)
    ]
    memory, errors = trends(samples)
    assert [(t.name, t.first, t.last, t.slope_per_min) for t in memory] == [("gateway", 50.0, 80.0, 0.0)]
    assert all(t.slope_per_min == 0 for t in errors)
    report = SoakReport(vens=10, minutes=6.5, samples=samples, memory=memory, errors=errors)
    assert "| gateway | 50.0 | 80.0 | +0.00 |" in markdown(report)


def test_memory_of_this_process_is_read_and_labelled_by_module() -> None:
    assert process_memory_mb(os.getpid()) > 1
    assert sum(memory_mb([os.getpid()]).values()) == process_memory_mb(os.getpid())

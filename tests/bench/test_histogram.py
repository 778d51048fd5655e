from __future__ import annotations

import random

import pytest

from bench.loadgen.histogram import LatencyHistogram


def test_empty() -> None:
    histogram = LatencyHistogram()
    assert histogram.percentile(0.5) is None and histogram.mean is None


def test_percentiles_within_one_percent() -> None:
    samples = [random.uniform(0.0005, 2.0) for _ in range(20000)]
    histogram = LatencyHistogram()
    for sample in samples:
        histogram.record(sample)
    ordered = sorted(samples)
    for fraction in (0.5, 0.9, 0.99):
        exact = ordered[int(fraction * len(ordered)) - 1]
        assert histogram.percentile(fraction) == pytest.approx(exact, rel=0.011)
    assert histogram.percentile(1.0) == max(samples)


def test_merge_equals_recording_everything_in_one() -> None:
    left, right, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    for index in range(1000):
        sample = index / 1000.0
        (left if index % 2 else right).record(sample)
        both.record(sample)
    left.merge(right)
    assert (left.count, left.maximum, left.minimum) == (both.count, both.maximum, both.minimum)
    assert left.percentile(0.99) == both.percentile(0.99)


def test_extremes_are_kept() -> None:
    histogram = LatencyHistogram()
    histogram.record(0.0)
    histogram.record(5000.0)
    assert histogram.percentile(0.0) == 0.0
    assert histogram.percentile(1.0) == 5000.0

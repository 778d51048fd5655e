"""A latency histogram with logarithmic buckets: constant memory, about 1% relative precision, mergeable.

Recording costs one logarithm, so the generator can record every request; merging the histograms of several
worker processes is a bucket-wise sum, which exact sample lists would make expensive for long runs.
"""

from __future__ import annotations

import math

_GROWTH = 1.01  # each bucket is 1% wider than the one before
_SCALE = 1.0 / math.log(_GROWTH)
_UNIT = 1e-6  # bucket 0 holds everything under one microsecond
_LONGEST = 1000.0  # seconds; anything slower lands in the last bucket
_BUCKETS = int(math.log(_LONGEST / _UNIT) * _SCALE) + 2


class LatencyHistogram:
    """Durations in seconds. Percentiles are bucket midpoints, clamped to the exact min and max seen."""

    __slots__ = ("_counts", "count", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self._counts = [0] * _BUCKETS
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = 0.0

    def record(self, seconds: float) -> None:
        units = seconds / _UNIT
        index = 0 if units < 1.0 else min(int(math.log(units) * _SCALE) + 1, _BUCKETS - 1)
        self._counts[index] += 1
        self.count += 1
        self.total += seconds
        if seconds < self.minimum:
            self.minimum = seconds
        if seconds > self.maximum:
            self.maximum = seconds

    def merge(self, other: LatencyHistogram) -> None:
        for index, count in enumerate(other._counts):
            if count:
                self._counts[index] += count
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    def percentile(self, fraction: float) -> float | None:
        """The duration below which `fraction` (0..1) of the recorded durations fall; None when empty."""
        if self.count == 0:
            return None
        rank = max(1, math.ceil(fraction * self.count))
        if rank == 1:
            return self.minimum
        if rank >= self.count:
            return self.maximum
        seen = 0
        for index, count in enumerate(self._counts):
            seen += count
            if seen >= rank:
                midpoint = _UNIT / 2 if index == 0 else _UNIT * _GROWTH ** (index - 0.5)
                return min(max(midpoint, self.minimum), self.maximum)
        return self.maximum

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

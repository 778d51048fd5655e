"""What one worker observed during a run, in a form that merges across worker processes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.loadgen.histogram import LatencyHistogram


@dataclass
class RunStats:
    """Counters of one run. Only polls inside the measurement window are counted in the poll fields."""

    polls_ok: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    send_lag: LatencyHistogram = field(default_factory=LatencyHistogram)  # open loop: actual - scheduled send
    message_types: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    registered: int = 0
    registration_errors: Counter[str] = field(default_factory=Counter)
    registration_seconds: float = 0.0
    connections_opened: int = 0
    stale_retries: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    window_start_unix: float = 0.0  # wall-clock time measuring began (after the warm-up)

    def merge(self, other: RunStats) -> None:
        self.polls_ok += other.polls_ok
        self.latency.merge(other.latency)
        self.send_lag.merge(other.send_lag)
        self.message_types.update(other.message_types)
        self.errors.update(other.errors)
        self.registered += other.registered
        self.registration_errors.update(other.registration_errors)
        # Workers register in parallel, so the slowest one is how long registration took.
        self.registration_seconds = max(self.registration_seconds, other.registration_seconds)
        self.connections_opened += other.connections_opened
        self.stale_retries += other.stale_retries
        self.cpu_seconds += other.cpu_seconds
        self.wall_seconds = max(self.wall_seconds, other.wall_seconds)
        self.window_start_unix = max(self.window_start_unix, other.window_start_unix)

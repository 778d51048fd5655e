"""The summary of one load run, as numbers for tables and JSON, and as a short text report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.loadgen.config import LoadConfig, Mode
from bench.loadgen.histogram import LatencyHistogram
from bench.loadgen.stats import RunStats
from bench.loadgen.system import event_loop_name


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds; None when nothing was measured."""

    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    mean: float | None

    @classmethod
    def of(cls, histogram: LatencyHistogram) -> LatencySummary:
        return cls(
            p50=_ms(histogram.percentile(0.50)),
            p90=_ms(histogram.percentile(0.90)),
            p99=_ms(histogram.percentile(0.99)),
            max=_ms(histogram.maximum if histogram.count else None),
            mean=_ms(histogram.mean),
        )


@dataclass(frozen=True)
class LoadResult:
    url: str
    mode: str
    vens: int
    registered: int
    processes: int
    event_loop: str
    duration_s: float
    warmup_s: float
    rate_per_ven: float | None  # open loop only
    offered_polls_per_s: float | None  # open loop only: registered VENs x rate
    polls_ok: int
    polls_per_s: float
    latency_ms: LatencySummary
    send_lag_ms: LatencySummary | None  # open loop only: how late the generator sent against the schedule
    error_count: int
    errors: dict[str, int] = field(default_factory=dict)
    message_types: dict[str, int] = field(default_factory=dict)
    registration_s: float = 0.0
    registration_errors: dict[str, int] = field(default_factory=dict)
    connections_opened: int = 0
    stale_retries: int = 0
    generator_cpu_percent: float = 0.0  # CPU seconds of all generator processes / wall seconds, x100
    window_start_unix: float = 0.0  # the measured window, as wall-clock times, to correlate server metrics
    window_end_unix: float = 0.0

    @classmethod
    def from_stats(cls, config: LoadConfig, stats: RunStats) -> LoadResult:
        is_open = config.mode is Mode.OPEN
        return cls(
            url=config.url,
            mode=config.mode.value,
            vens=config.vens,
            registered=stats.registered,
            processes=config.processes,
            event_loop=event_loop_name(),
            duration_s=config.duration,
            warmup_s=config.warmup,
            rate_per_ven=config.rate if is_open else None,
            offered_polls_per_s=stats.registered * config.rate if is_open else None,
            polls_ok=stats.polls_ok,
            polls_per_s=round(stats.polls_ok / config.duration, 1),
            latency_ms=LatencySummary.of(stats.latency),
            send_lag_ms=LatencySummary.of(stats.send_lag) if is_open else None,
            error_count=sum(stats.errors.values()),
            errors=dict(stats.errors.most_common()),
            message_types=dict(stats.message_types.most_common()),
            registration_s=round(stats.registration_seconds, 3),
            registration_errors=dict(stats.registration_errors.most_common()),
            connections_opened=stats.connections_opened,
            stale_retries=stats.stale_retries,
            generator_cpu_percent=round(100.0 * stats.cpu_seconds / stats.wall_seconds, 1)
            if stats.wall_seconds > 0.5
            else 0.0,
            window_start_unix=stats.window_start_unix,
            window_end_unix=stats.window_start_unix + config.duration,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        latency = self.latency_ms
        lines = [
            f"target      {self.url}",
            f"load        {self.mode} loop, {self.registered}/{self.vens} VENs registered"
            f" in {self.registration_s:.1f} s, {self.processes} process(es), {self.event_loop}",
            f"window      {self.duration_s:g} s after {self.warmup_s:g} s warm-up",
        ]
        if self.offered_polls_per_s is not None:
            lines.append(f"offered     {self.offered_polls_per_s:.1f} polls/s ({self.rate_per_ven:g}/s per VEN)")
        lines += [
            f"answered    {self.polls_per_s:.1f} polls/s ({self.polls_ok} good answers)",
            f"latency ms  p50 {_fmt(latency.p50)}  p90 {_fmt(latency.p90)}  p99 {_fmt(latency.p99)}"
            f"  max {_fmt(latency.max)}  mean {_fmt(latency.mean)}",
        ]
        if self.send_lag_ms is not None:
            lines.append(f"send lag ms p99 {_fmt(self.send_lag_ms.p99)}  max {_fmt(self.send_lag_ms.max)}")
        lines += [
            f"messages    {_fmt_counts(self.message_types)}",
            f"errors      {self.error_count} {_fmt_counts(self.errors)}",
            f"reg. errors {_fmt_counts(self.registration_errors)}",
            f"connections {self.connections_opened} opened, {self.stale_retries} stale retries",
            f"generator   {self.generator_cpu_percent:.0f}% CPU (100% = one core busy)",
        ]
        return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}={count}" for name, count in counts.items()) or "none"

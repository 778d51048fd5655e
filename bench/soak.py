"""Soak run: the whole VTN stack under steady load for a bounded time, sampling the memory (RSS) of every
process of the stack and the error counters over time, and reporting how they trend.

    python -m bench.soak --vens 2000 --minutes 20             # the soak figures of docs/performance.md
    python -m bench.soak --vens 20 --minutes 1 --sample-seconds 5   # a quick check of the bench itself

It starts the stack of `bench.vtn_stack` (Kafka, PostgreSQL, every service, the gateway; ports from
VTN_BENCH_*), then `bench.loadgen` in its own process: every VEN registers and polls once a second (open loop)
for the whole run. Every `--sample-seconds` it records per process (gateway, each service, the Kafka JVM,
PostgreSQL with its backends) the resident memory from /proc (PSS, so shared pages count once), and the error counters the stack itself
exports: the gateway's HTTP answers other than 200 (`vtn_http_requests_total`) and the services' handler
errors (`vtn_handler_errors_total`). The first quarter of the run is warm-up (caches, JIT, connection pools
filling); over the rest it fits a line to each series and reports its slope, per minute: flat memory and no
error growth mean slopes near zero. The samples and the summary are also written as JSON (`--out`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.memory import process_memory_mb
from bench.targets import BASE_PATH, LOOPBACK
from bench.vtn_stack import ADMIN_PORT, HTTP_PORT, SERVICES, FullStack, _descendants
from devstack.config import REPO_ROOT

WARMUP_FRACTION = 0.25


@dataclass
class Sample:
    at_s: float  # seconds since the load started
    rss_mb: dict[str, float]  # resident memory per process group (PSS, see bench.memory)
    http_requests: int
    http_errors: int  # gateway answers other than HTTP 200
    handler_errors: int  # services' handler errors, all kinds


@dataclass
class Trend:
    name: str
    first: float
    last: float
    slope_per_min: float  # least-squares slope after the warm-up


@dataclass
class SoakReport:
    vens: int
    minutes: float
    samples: list[Sample] = field(default_factory=list)
    memory: list[Trend] = field(default_factory=list)
    errors: list[Trend] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)


def process_groups(stack: FullStack) -> dict[str, list[int]]:
    """Each process of the stack by name, with its descendants (PostgreSQL: the postmaster and its backends)."""
    groups = {p.name: _descendants(p.pid) for p in stack._processes if p.pid is not None}  # noqa: SLF001
    kafka = stack._infrastructure.kafka.process  # noqa: SLF001
    if kafka is not None and kafka.pid is not None:
        groups["kafka"] = _descendants(kafka.pid)
    postmaster = stack._infrastructure.postgres._postmaster_pid()  # noqa: SLF001
    if postmaster is not None:
        groups["postgres"] = _descendants(postmaster)
    return groups


def _metric_sum(url: str, name: str, exclude_label: str | None = None) -> int:
    """The sum of a counter's samples in a Prometheus text page; samples carrying `exclude_label` are skipped."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - a loopback URL of our own
            text = answer.read().decode()
    except OSError:
        return 0
    total = 0.0
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            if exclude_label is not None and exclude_label in line:
                continue
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def sample(stack: FullStack, started: float) -> Sample:
    rss = {name: round(sum(process_memory_mb(pid) for pid in pids), 1) for name, pids in process_groups(stack).items()}
    gateway_metrics = f"http://{LOOPBACK}:{ADMIN_PORT}/metrics"
    services = [name for name in SERVICES if name != "gateway"]
    handler_errors = sum(
        _metric_sum(f"http://{LOOPBACK}:{HTTP_PORT + 10 + SERVICES.index(name)}/metrics", "vtn_handler_errors_total")
        for name in services
    )
    return Sample(
        at_s=round(time.monotonic() - started, 1),
        rss_mb=rss,
        http_requests=_metric_sum(gateway_metrics, "vtn_http_requests_total"),
        http_errors=_metric_sum(gateway_metrics, "vtn_http_requests_total", exclude_label='outcome="200"'),
        handler_errors=handler_errors,
    )


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; 0 with fewer than two points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 60


def trends(samples: list[Sample]) -> tuple[list[Trend], list[Trend]]:
    if not samples:
        return [], []
    settled = [s for s in samples if s.at_s >= samples[-1].at_s * WARMUP_FRACTION] or samples
    names = sorted({name for s in samples for name in s.rss_mb})
    memory = [
        Trend(
            name,
            samples[0].rss_mb.get(name, 0.0),
            samples[-1].rss_mb.get(name, 0.0),
            round(slope_per_minute([(s.at_s, s.rss_mb.get(name, 0.0)) for s in settled]), 2),
        )
        for name in names
    ]
    errors = [
        Trend(label, getattr(samples[0], label), getattr(samples[-1], label),
              round(slope_per_minute([(s.at_s, float(getattr(s, label))) for s in settled]), 2))
        for label in ("http_errors", "handler_errors")
    ]  # fmt: skip
    return memory, errors


def markdown(report: SoakReport) -> str:
    lines = [
        f"Soak: {report.vens} VENs polling once a second for {report.minutes:g} min "
        f"({len(report.samples)} samples; slopes over the last {100 * (1 - WARMUP_FRACTION):.0f}%)",
        "",
        "| process | memory at start (MB) | memory at end (MB) | slope after warm-up (MB/min) |",
        "|---|---:|---:|---:|",
        *(f"| {t.name} | {t.first:.1f} | {t.last:.1f} | {t.slope_per_min:+.2f} |" for t in report.memory),
        "",
        "| counter | at start | at end | slope after warm-up (/min) |",
        "|---|---:|---:|---:|",
        *(f"| {t.name} | {t.first:.0f} | {t.last:.0f} | {t.slope_per_min:+.2f} |" for t in report.errors),
    ]
    load = report.load
    if load:
        lines += [
            "",
            f"load generator: {load.get('polls_ok')} good answers, {load.get('error_count')} errors "
            f"{load.get('errors')}, p99 {load.get('latency_ms', {}).get('p99')} ms",
        ]
    return "\n".join(lines)


def run(vens: int, minutes: float, sample_seconds: float, log_dir: Path, processes: int) -> SoakReport:
    report = SoakReport(vens=vens, minutes=minutes)
    stack = FullStack(log_dir)
    stack.start()
    try:
        load = subprocess.Popen(
            [
                sys.executable, "-m", "bench.loadgen", "--url", f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}",
                "--vens", str(vens), "--mode", "open", "--rate", "1", "--warmup", "5",
                "--duration", str(minutes * 60), "--processes", str(processes), "--json",
            ],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        started = time.monotonic()
        try:
            while load.poll() is None:
                report.samples.append(sample(stack, started))
                deadline = time.monotonic() + sample_seconds
                while load.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.2)
            report.samples.append(sample(stack, started))
            out, err = load.communicate()
        finally:
            if load.poll() is None:
                load.kill()
                load.wait()
        if load.returncode != 0:
            raise RuntimeError(f"the load generator failed ({load.returncode}):\n{err[-2000:]}")
        report.load = json.loads(out)
    finally:
        stack.stop()
    report.memory, report.errors = trends(report.samples)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vens", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--sample-seconds", type=float, default=15.0)
    parser.add_argument("--processes", type=int, default=1, help="load generator worker processes")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / ".devstack" / "soak")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: <log-dir>/soak.json)")
    arguments = parser.parse_args(argv)
    report = run(arguments.vens, arguments.minutes, arguments.sample_seconds, arguments.log_dir, arguments.processes)
    out = arguments.out or arguments.log_dir / "soak.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(report), indent=1) + "\n")
    print(markdown(report))
    print(f"\n(samples in {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Report benchmark: sustained oadrUpdateReport throughput with N reporting VENs, this VTN side by side with
OpenLEADR in one run, and the lag from a VEN's POST to the record on the Kafka report-data topic.

    python -m bench.report_bench --vens 1000

Each simulated VEN registers, offers one METADATA_TELEMETRY_USAGE report (rID `power`, sampling 1 s to 1 h)
with oadrRegisterReport, takes the reportRequestID from the oadrRegisteredReport (OpenLEADR: its compact
`on_register_report`, bench.openleadr_report_vtn; this VTN: `VTN_REPORT_POLICY=telemetry`), confirms it with
oadrCreatedReport, then sends oadrUpdateReport over its own keep-alive connection: again as soon as answered
(closed loop), or `--rate` times a second. Each report carries `--intervals` intervals of new data (the XML
OpenLEADR's `create_message` renders, rendered once per VEN and filled in per report).

- accepted: answers oadrUpdatedReport with code 200 to reports sent in the measurement window. OpenLEADR
  stores and publishes nothing (its callbacks are no-ops); this VTN answers only once the data is committed
  to PostgreSQL (so accepted = stored).
- published (this VTN): records on `oadr.report.data.v1` (one per interval) of reports sent in the window;
  lag: the record's Kafka timestamp minus the moment its report was POSTed (p50/p99); "unpublished" counts
  accepted intervals not on the topic `--drain` seconds after the window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from openleadr import enums, objects
from openleadr.messaging import create_message, parse_message

from bench.cpu import cpu_seconds_by_label, process_cpu_seconds
from bench.loadgen.answers import classify
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import build_post, error_kind
from bench.loadgen.system import raise_open_file_limit
from bench.loadgen.ven import SimulatedVen
from bench.targets import BASE_PATH, LOOPBACK, ManagedServer
from bench.vtn_stack import KAFKA_BOOTSTRAP, FullStack, gateway_http_port
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection

OPENLEADR_PORT = 8291
BENCH_LABEL = "bench.report_bench"
REGISTER_CONCURRENCY = 64
REQUEST_TIMEOUT = 30.0
R_ID = "power"
SPECIFIER = "bench-power"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
VTN_SETTINGS = {
    "VTN_REPORT_POLICY": "telemetry",
    "VTN_REPORT_GRANULARITY_SECONDS": "1",
    "VTN_REPORT_BACK_DURATION_SECONDS": "1",
}
_SENTINEL = re.compile(r"@@(\w+)@@")


def metadata_report() -> objects.Report:
    return objects.Report(
        report_specifier_id=SPECIFIER,
        report_name="METADATA_TELEMETRY_USAGE",
        report_request_id="0",
        duration=timedelta(hours=1),
        report_descriptions=[
            objects.ReportDescription(
                r_id=R_ID,
                market_context=None,
                reading_type="Direct Read",
                report_subject=objects.Target(resource_id="meter-1"),
                report_data_source=objects.Target(resource_id="meter-1"),
                report_type="reading",
                measurement=enums.MEASUREMENTS.POWER_REAL,
                sampling_rate=objects.SamplingRate(
                    min_period=timedelta(seconds=1), max_period=timedelta(hours=1), on_change=False
                ),
            )
        ],
    )


class UpdateTemplate:
    """One VEN's oadrUpdateReport rendered once by OpenLEADR with sentinels, filled in per report."""

    def __init__(self, ven_id: str, report_request_id: str, intervals: int) -> None:
        report = {
            "report_specifier_id": SPECIFIER,
            "report_name": "TELEMETRY_USAGE",
            "report_request_id": report_request_id,
            "created_date_time": BASE_TIME,
            "intervals": [
                {
                    "dtstart": f"@@dt{i}@@",
                    "duration": timedelta(seconds=1),
                    "report_payload": {"r_id": R_ID, "value": 1000.0 + i},
                }
                for i in range(intervals)
            ],
        }
        rendered = create_message("oadrUpdateReport", request_id="@@request@@", ven_id=ven_id, reports=[report])
        self._parts = _SENTINEL.split(rendered)
        self.intervals = intervals

    def render(self, first_second: int) -> tuple[bytes, list[datetime]]:
        starts = [BASE_TIME + timedelta(seconds=first_second + i) for i in range(self.intervals)]
        values = {
            "request": uuid.uuid4().hex,
            **{f"dt{i}": s.strftime("%Y-%m-%dT%H:%M:%SZ") for i, s in enumerate(starts)},
        }
        text = "".join(values[part] if index % 2 else part for index, part in enumerate(self._parts))
        return text.encode(), starts


@dataclass
class Window:
    start: float = 0.0
    end: float = float("inf")

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment < self.end


@dataclass
class Tally:
    accepted_reports: int = 0
    accepted_intervals: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    sent_at: dict[tuple[str, datetime], float] = field(default_factory=dict)


class ReportingVen(SimulatedVen):
    template: UpdateTemplate | None = None

    async def register_reports(self, intervals: int) -> None:
        address: VtnAddress = self._address
        ven_id = str(self.ven_id)
        body = create_message(
            "oadrRegisterReport",
            request_id=uuid.uuid4().hex,
            ven_id=ven_id,
            reports=[metadata_report()],
            report_request_id="0",
        )
        answer = await self._connection.send(build_post(address, "EiReport", body.encode()))
        kind, payload = parse_message(answer.body)
        requests = payload.get("report_requests") or []
        if kind != "oadrRegisteredReport" or not requests:
            raise RuntimeError(f"{self.name}: no report request in the answer to oadrRegisterReport ({kind})")
        report_request_id = str(requests[0]["report_request_id"])
        created = create_message(
            "oadrCreatedReport",
            response={
                "response_code": 200,
                "response_description": "OK",
                "request_id": payload["response"]["request_id"],
            },
            pending_reports=[{"report_request_id": report_request_id}],
            ven_id=ven_id,
        )
        await self._connection.send(build_post(address, "EiReport", created.encode()))
        self.template = UpdateTemplate(ven_id, report_request_id, intervals)

    async def report(self, stop: asyncio.Event, window: Window, tally: Tally, rate: float | None) -> None:
        assert self.template is not None
        address: VtnAddress = self._address
        ven_id = str(self.ven_id)
        sequence = 0
        period = 1.0 / rate if rate else 0.0
        if rate:
            await asyncio.sleep(random.random() * period)
        while not stop.is_set():
            body, starts = self.template.render(sequence * self.template.intervals)
            sequence += 1
            request = build_post(address, "EiReport", body)
            sent = time.time()
            try:
                answer = await self._connection.send(request)
                problem = None
                if answer.status != 200:
                    problem = f"http_{answer.status}"
                else:
                    classified = classify(answer.body)
                    if classified.message_type != "oadrUpdatedReport" or classified.response_code != "200":
                        problem = f"{classified.message_type}_{classified.response_code}"
            except Exception as error:
                problem = error_kind(error)
            if sent in window and time.time() < window.end:
                if problem is None:
                    tally.accepted_reports += 1
                    tally.accepted_intervals += len(starts)
                    for start in starts:
                        tally.sent_at[(ven_id, start)] = sent
                else:
                    tally.errors[problem] += 1
            if period:
                await asyncio.sleep(max(0.0, period - (time.time() - sent)))


@dataclass
class ReportRun:
    target: str
    vens: int
    intervals_per_report: int
    seconds: float
    reports_accepted: int
    intervals_accepted_per_second: float
    intervals_published_per_second: float | None
    unpublished: int | None
    lag_p50_ms: float | None
    lag_p99_ms: float | None
    errors: dict[str, int]
    server_cpu_percent: float | None
    cpu_percent_by_process: dict[str, float]


class TopicWatcher:
    """When each (VEN, dtstart) record reached oadr.report.data.v1, read from the topic's end as it was at
    start(). Reading waits for collect(), after the measurement window: each record's Kafka timestamp says
    when it was published, so reading later changes no figure, and decoding a thousand records a second
    would otherwise take CPU from the stack under test (a backend reading the topic runs elsewhere)."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = clients.consumer(KafkaConnection(bootstrap), group_id=None, enable_auto_commit=False)
        self.published: dict[tuple[str, datetime], float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Remember where the topic ends now; nothing is read yet."""
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()  # noqa: SLF001 - a topic we assign, not subscribe to
        partitions = [
            TopicPartition(topics.REPORT_DATA, p)
            for p in sorted(self._consumer.partitions_for_topic(topics.REPORT_DATA) or ())
        ]
        if not partitions:
            raise RuntimeError(f"{topics.REPORT_DATA} has no partitions")
        self._consumer.assign(partitions)
        for partition, offset in (await self._consumer.end_offsets(partitions)).items():
            self._consumer.seek(partition, offset)

    def collect(self) -> None:
        """Read the records published since start(), in the background, until stop()."""
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for record in self._consumer:
            payload: dict[str, Any] = json.loads(record.value)["payload"]
            key = (str(payload["ven_id"]), datetime.fromisoformat(payload["dtstart"]))
            self.published.setdefault(key, record.timestamp / 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def register_all(urls: list[str], count: int, intervals: int) -> list[ReportingVen]:
    """`count` VENs, spread evenly over `urls` (several gateway instances, as a load balancer would)."""
    addresses = [VtnAddress.parse(url) for url in urls]
    vens = [
        ReportingVen(f"report-bench-{uuid.uuid4().hex[:8]}-{i}", addresses[i % len(addresses)], REQUEST_TIMEOUT)
        for i in range(count)
    ]
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def register(ven: ReportingVen) -> None:
        async with limit:
            await ven.register()
            await ven.register_reports(intervals)

    await asyncio.gather(*(register(v) for v in vens))
    return vens


@dataclass
class LoadShape:
    vens: int
    intervals: int
    warmup: float
    duration: float
    rate: float | None
    drain: float


async def measure(
    name: str, urls: list[str], shape: LoadShape, server_pids: Callable[[], list[int]], watcher: TopicWatcher | None
) -> ReportRun:
    vens = await register_all(urls, shape.vens, shape.intervals)
    stop, tally = asyncio.Event(), Tally()
    now = time.time()
    window = Window(now + shape.warmup, now + shape.warmup + shape.duration)
    senders = [asyncio.create_task(v.report(stop, window, tally, shape.rate)) for v in vens]
    try:
        await asyncio.sleep(shape.warmup)
        # asked again after the window: connection pools (PostgreSQL backends) grow under load
        pids = server_pids()
        cpu_before = sum(c for p in pids if (c := process_cpu_seconds(p)) is not None)
        labelled_before = cpu_seconds_by_label([*pids, os.getpid()])
        await asyncio.sleep(shape.duration)
        pids = sorted(set(pids) | set(server_pids()))
        cpu_after = sum(c for p in pids if (c := process_cpu_seconds(p)) is not None)
        labelled_after = cpu_seconds_by_label([*pids, os.getpid()])
    finally:
        stop.set()
        await asyncio.gather(*senders, return_exceptions=True)
        for ven in vens:
            await ven.close()
    published_rate = unpublished = p50 = p99 = None
    if watcher is not None:
        watcher.collect()
        deadline = time.monotonic() + shape.drain
        while time.monotonic() < deadline and any(k not in watcher.published for k in tally.sent_at):
            await asyncio.sleep(0.5)
        lags = [watcher.published[k] - sent for k, sent in tally.sent_at.items() if k in watcher.published]
        in_window = sum(1 for k in tally.sent_at if k in watcher.published and watcher.published[k] in window)
        published_rate = in_window / shape.duration
        unpublished = len(tally.sent_at) - len(lags)
        if lags:
            p50, p99 = 1000 * percentile(lags, 0.50), 1000 * percentile(lags, 0.99)
    return ReportRun(
        target=name,
        vens=shape.vens,
        intervals_per_report=shape.intervals,
        seconds=shape.duration,
        reports_accepted=tally.accepted_reports,
        intervals_accepted_per_second=tally.accepted_intervals / shape.duration,
        intervals_published_per_second=published_rate,
        unpublished=unpublished,
        lag_p50_ms=p50,
        lag_p99_ms=p99,
        errors=dict(tally.errors),
        server_cpu_percent=100 * (cpu_after - cpu_before) / shape.duration if pids else None,
        cpu_percent_by_process=_percent_by_label(labelled_before, labelled_after, shape.duration),
    )


def _percent_by_label(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Each process label's CPU over the window in percent of one core, busiest first."""
    used = {label: 100 * (total - before.get(label, 0.0)) / seconds for label, total in after.items()}
    return dict(sorted(used.items(), key=lambda item: -item[1]))


async def run_openleadr(shape: LoadShape, port: int, log_dir: Path) -> ReportRun:
    server = ManagedServer(
        "openleadr-reports", [sys.executable, "-m", "bench.openleadr_report_vtn", "--port", str(port)], port, log_dir
    )
    server.start()
    try:
        return await measure("OpenLEADR", [f"http://{LOOPBACK}:{port}{BASE_PATH}"], shape, server.pids, None)
    finally:
        server.stop()


async def run_vtn(
    shape: LoadShape, log_dir: Path, kafka_bootstrap: str, gateways: int, report_services: int = 1
) -> ReportRun:
    stack = FullStack(log_dir, VTN_SETTINGS, gateways, report_services)
    stack.start()
    watcher = TopicWatcher(kafka_bootstrap)
    urls = [f"http://{LOOPBACK}:{gateway_http_port(replica)}{BASE_PATH}" for replica in range(gateways)]
    scale = [f"{gateways} gateways"] * (gateways > 1) + [f"{report_services} report_svc"] * (report_services > 1)
    name = ", ".join(["this VTN", *scale])
    try:
        await watcher.start()
        return await measure(name, urls, shape, stack.pids, watcher)
    finally:
        await watcher.stop()
        stack.stop()


def table(runs: list[ReportRun]) -> str:
    def number(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    base = runs[0].intervals_accepted_per_second
    lines = [
        "| target | VENs | intervals/report | accepted intervals/s | ÷ OpenLEADR | published/s | unpublished | lag p50 ms | lag p99 ms | errors | server CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ratio = f"{run.intervals_accepted_per_second / base:.2f}" if base else "-"
        errors = sum(run.errors.values())
        lines.append(
            f"| {run.target} | {run.vens} | {run.intervals_per_report} | {run.intervals_accepted_per_second:.0f} | {ratio} "
            f"| {number(run.intervals_published_per_second)} | {number(run.unpublished)} | {number(run.lag_p50_ms, 1)} "
            f"| {number(run.lag_p99_ms, 1)} | {errors}{' ' + str(run.errors) if errors else ''} | {number(run.server_cpu_percent)}% |"
        )
    lines.append("")
    for run in runs:
        shares = ", ".join(f"{label} {percent:.0f}%" for label, percent in run.cpu_percent_by_process.items())
        lines.append(f"CPU of one core, {run.target} (the benchmark's own process is {BENCH_LABEL}): {shares}")
    return "\n".join(lines)


def ratio_summary(rounds: list[list[ReportRun]]) -> str:
    """The last target's accepted intervals/s over the first's, round by round, with their median: on a shared
    machine a single pair can be off by a third either way."""
    ratios = [
        runs[-1].intervals_accepted_per_second / runs[0].intervals_accepted_per_second
        for runs in rounds
        if len(runs) >= 2 and runs[0].intervals_accepted_per_second
    ]
    if not ratios:
        return ""
    listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    return f"{rounds[0][-1].target} ÷ {rounds[0][0].target}, {len(ratios)} round(s): {listed}; median {statistics.median(ratios):.2f}"


async def main_async(
    shape: LoadShape,
    openleadr_port: int,
    kafka_bootstrap: str,
    targets: list[str],
    gateways: int,
    rounds: int = 1,
    report_services: int = 1,
) -> list[list[ReportRun]]:
    """Each round runs the targets one after the other, in order."""
    log_dir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    results = []
    for _ in range(rounds):
        runs = []
        if "openleadr" in targets:
            runs.append(await run_openleadr(shape, openleadr_port, log_dir))
        if "vtn" in targets:
            runs.append(await run_vtn(shape, log_dir, kafka_bootstrap, gateways, report_services))
        results.append(runs)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_bench", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--intervals", type=int, default=1, help="intervals (of new data) per oadrUpdateReport")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=None, help="reports per second per VEN (default: closed loop)")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for the last records on Kafka")
    parser.add_argument("--openleadr-port", type=int, default=OPENLEADR_PORT)
    parser.add_argument(
        "--targets", default="openleadr,vtn", help="comma-separated, in order: openleadr, vtn (ratios are to the first)"
    )
    parser.add_argument("--gateways", type=int, default=1, help="gateway instances, VENs spread evenly over them")
    parser.add_argument("--report-services", type=int, default=1, help="report_svc instances (one consumer group)")
    parser.add_argument("--rounds", type=int, default=1, help="run the targets this many times, alternating")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    raise_open_file_limit()
    shape = LoadShape(
        arguments.vens, arguments.intervals, arguments.warmup, arguments.duration, arguments.rate, arguments.drain
    )
    targets = arguments.targets.split(",")
    rounds = asyncio.run(
        main_async(
            shape,
            arguments.openleadr_port,
            KAFKA_BOOTSTRAP,
            targets,
            arguments.gateways,
            arguments.rounds,
            arguments.report_services,
        )
    )
    if arguments.json:
        print(
            json.dumps(
                [[r.__dict__ for r in runs] for runs in rounds] if len(rounds) > 1 else [r.__dict__ for r in rounds[0]]
            )
        )
    else:
        print("\n\n".join(table(runs) for runs in rounds))
        if len(rounds) > 1:
            print(f"\n{ratio_summary(rounds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What each kind of message costs the whole stack, process by process: the measurements behind the sizing
guide (docs/sizing.md) and its calculator (`python -m bench.sizing`).

    python -m bench.sizing_measure --vens 1000 --out bench/sizing_costs.json

Starts the whole stack (bench.vtn_stack) and, one after the other, measures the CPU every process spends
(from /proc, per process label: gateway, each service, kafka, postgres) and the PostgreSQL transactions
committed, while it does one thing at a time:

- `registration`: N VENs register (oadrQueryRegistration and oadrCreatePartyRegistration each);
- `poll_cached`: the N VENs poll once a second, nothing pending (the gateway answers from its cache);
- `event_delivery`: an event that needs no answer reaches the N polling VENs (fan-out, handout, record);
- `event_answer`: an event that needs an answer reaches them and each answers; what it costs beyond
  `event_delivery` is the answer's (oadrCreatedEvent through to its record on the topic);
- `report_interval`: N/2 other VENs send one-interval oadrUpdateReports once a second (stored, published);
- `poll_forwarded`: on a second stack whose gateway caches nothing (VTN_POLL_CACHE_TTL_SECONDS=0), N VENs
  polling once a second, every poll a round trip to registration_svc.

Each phase's CPU has the stack's CPU before it (idle, or polling) over as long taken off, and is divided by
the messages of the phase. The benchmark's own process (the load generator) is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import httpx

from bench import report_bench
from bench.cpu import cpu_seconds_by_label
from bench.event_bench import DEVELOPMENT_ADMIN_TOKEN, AnswerWatcher, admin_calls, register_all, vtn_event
from bench.event_vens import EventVen
from bench.loadgen.system import raise_open_file_limit
from bench.targets import BASE_PATH, LOOPBACK
from bench.vtn_stack import ADMIN_PORT, HTTP_PORT, KAFKA_BOOTSTRAP, FullStack
from shared.db.access import DatabaseAccess
from shared.db.pool import open_pool
from shared.oadr.event import ResponseRequired
from shared.oadr.target import Target

STEADY_SECONDS = 20.0
QUIET_SECONDS = 10.0
DEFAULT_COSTS = Path(__file__).parent / "sizing_costs.json"


@dataclass
class Phase:
    name: str
    messages: int
    seconds: float
    cpu_ms: dict[str, float]  # per message, per process label
    pg_transactions: float  # per message


@dataclass
class Costs:
    measured_on: str
    command: str
    machine: str
    vens: int
    idle_cpu_percent: dict[str, float]
    phases: dict[str, Phase] = field(default_factory=dict)


class Meter:
    """CPU by process label and PostgreSQL commits over a stretch of time, less a background rate."""

    def __init__(self, pids: Callable[[], list[int]], database_url: str) -> None:
        self._pids = pids
        self._database_url = database_url

    async def _commits(self) -> int:
        pool = await open_pool(DatabaseAccess(self._database_url), 1, 1)
        try:
            query = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            return int(await pool.fetchval(query))
        finally:
            await pool.close()

    async def measure(self, work: Callable[[], Awaitable[int]]) -> tuple[int, float, dict[str, float], int]:
        """Run `work` (which returns how many messages it made): (messages, seconds, CPU s by label, commits)."""
        commits, before, started = await self._commits(), cpu_seconds_by_label(self._pids()), time.monotonic()
        messages = await work()
        seconds = time.monotonic() - started
        after = cpu_seconds_by_label(self._pids())
        used = {label: total - before.get(label, 0.0) for label, total in after.items()}
        return messages, seconds, used, await self._commits() - commits - 2  # the two look-ups' own commits


def per_message(name: str, measured: tuple[int, float, dict[str, float], int], background: dict[str, float]) -> Phase:
    """`measured` less `background` (CPU s per second) over its length, per message."""
    messages, seconds, used, commits = measured
    cpu = {label: max(0.0, total - background.get(label, 0.0) * seconds) for label, total in used.items()}
    count = max(messages, 1)
    return Phase(
        name=name,
        messages=messages,
        seconds=round(seconds, 2),
        cpu_ms={label: round(1000 * total / count, 4) for label, total in sorted(cpu.items())},
        pg_transactions=round(max(commits, 0) / count, 3),
    )


def rate(measured: tuple[int, float, dict[str, float], int]) -> dict[str, float]:
    """CPU seconds per second, by label, of a stretch measured."""
    _, seconds, used, _ = measured
    return {label: total / seconds for label, total in used.items()}


async def _quiet(seconds: float) -> int:
    await asyncio.sleep(seconds)
    return 0


async def _polling(vens: list[EventVen], seconds: float) -> int:
    before = sum(v.polls for v in vens)
    await asyncio.sleep(seconds)
    return sum(v.polls for v in vens) - before


def _start_polling(vens: list[EventVen], stop: asyncio.Event) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(v.run(stop, random.random(), 1.0)) for v in vens]


async def measure_main_stack(vens: int, log_dir: Path, costs: Costs) -> None:
    stack = FullStack(log_dir, report_bench.VTN_SETTINGS)
    stack.start()
    url = f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}"
    meter = Meter(stack.pids, stack.database_url)
    event_ids = {f"sizing-{uuid.uuid4().hex[:10]}-{n}" for n in range(3)}
    watcher = AnswerWatcher(KAFKA_BOOTSTRAP, event_ids)
    headers = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
    stop = asyncio.Event()
    pollers: list[asyncio.Task[None]] = []
    try:
        await watcher.start()
        idle = await meter.measure(lambda: _quiet(QUIET_SECONDS))
        costs.idle_cpu_percent = {label: round(100 * r, 1) for label, r in sorted(rate(idle).items())}
        registered: list[EventVen] = []

        async def register() -> int:
            registered.extend(await register_all(url, vens))
            return len(registered)

        costs.phases["registration"] = per_message("registration", await meter.measure(register), rate(idle))
        pollers = _start_polling(registered, stop)
        await asyncio.sleep(4.0)  # each VEN's first poll after registering is a round trip; the rest are cached
        polling = await meter.measure(lambda: _polling(registered, STEADY_SECONDS))
        costs.phases["poll_cached"] = per_message("poll_cached", polling, rate(idle))
        admin_url = f"http://{LOOPBACK}:{ADMIN_PORT}/api/v1"
        async with httpx.AsyncClient(base_url=admin_url, headers=headers, timeout=120) as admin:
            targets = Target(ven_ids=tuple(str(v.ven_id) for v in registered))
            warm_id, delivery_id, answered_id = sorted(event_ids)

            async def dispatch(event_id: str, required: ResponseRequired) -> int:
                command = vtn_event(event_id, targets).model_copy(update={"response_required": required})
                await admin_calls(admin, [("POST", "/events", command.model_dump(mode="json"))])
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    delivered = all(event_id in v.events for v in registered)
                    answered = required is ResponseRequired.NEVER or sum(
                        1 for key in watcher.seen if key[1] == event_id
                    ) >= len(registered)
                    if delivered and answered:
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)  # the handout records and the relays' last records
                return len(registered)

            await dispatch(warm_id, ResponseRequired.NEVER)  # a VTN in service has handled events before
            delivered = await meter.measure(lambda: dispatch(delivery_id, ResponseRequired.NEVER))
            costs.phases["event_delivery"] = per_message("event_delivery", delivered, rate(polling))
            answered = await meter.measure(lambda: dispatch(answered_id, ResponseRequired.ALWAYS))
            both = per_message("event_answer", answered, rate(polling))
            delivery = costs.phases["event_delivery"]
            both.cpu_ms = {
                label: round(max(0.0, ms - delivery.cpu_ms.get(label, 0.0)), 4) for label, ms in both.cpu_ms.items()
            }
            both.pg_transactions = round(max(0.0, both.pg_transactions - delivery.pg_transactions), 3)
            costs.phases["event_answer"] = both
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        pollers = []
        reporters = await report_bench.register_all([url], max(1, vens // 2), 1)
        tally, window, stop_reports = report_bench.Tally(), report_bench.Window(), asyncio.Event()
        senders = [asyncio.create_task(v.report(stop_reports, window, tally, 1.0)) for v in reporters]
        await asyncio.sleep(4.0)

        async def reporting() -> int:
            before = tally.accepted_intervals
            await asyncio.sleep(STEADY_SECONDS)
            return tally.accepted_intervals - before

        costs.phases["report_interval"] = per_message("report_interval", await meter.measure(reporting), rate(idle))
        stop_reports.set()
        await asyncio.gather(*senders, return_exceptions=True)
        for reporter in reporters:
            await reporter.close()
    finally:
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        await watcher.stop()
        stack.stop()


async def measure_forwarding_stack(vens: int, log_dir: Path, costs: Costs) -> None:
    stack = FullStack(log_dir, {"VTN_POLL_CACHE_TTL_SECONDS": "0"})
    stack.start()
    meter = Meter(stack.pids, stack.database_url)
    stop = asyncio.Event()
    pollers: list[asyncio.Task[None]] = []
    try:
        idle = await meter.measure(lambda: _quiet(QUIET_SECONDS))
        registered = await register_all(f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}", vens)
        pollers = _start_polling(registered, stop)
        await asyncio.sleep(4.0)
        polling = await meter.measure(lambda: _polling(registered, STEADY_SECONDS))
        costs.phases["poll_forwarded"] = per_message("poll_forwarded", polling, rate(idle))
    finally:
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        stack.stop()


def machine() -> str:
    cores = os.cpu_count() or 0
    with open("/proc/meminfo") as meminfo:
        kib = int(meminfo.readline().split()[1])
    return f"{cores} cores, {kib / 2**20:.0f} GiB"


def table(costs: Costs) -> str:
    labels = sorted({label for phase in costs.phases.values() for label in phase.cpu_ms})
    lines = [
        "| message | " + " | ".join(labels) + " | total CPU ms | PostgreSQL transactions |",
        "|---|" + "---:|" * (len(labels) + 2),
    ]
    for name, phase in costs.phases.items():
        cells = " | ".join(f"{phase.cpu_ms.get(label, 0.0):.3f}" for label in labels)
        lines.append(f"| {name} | {cells} | {sum(phase.cpu_ms.values()):.3f} | {phase.pg_transactions:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sizing_measure", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=DEFAULT_COSTS, help="where the costs go (JSON)")
    arguments = parser.parse_args(argv)
    raise_open_file_limit()
    command = "python -m bench.sizing_measure " + " ".join(argv if argv is not None else sys.argv[1:])
    costs = Costs(date.today().isoformat(), command.strip(), machine(), arguments.vens, {})
    log_dir = Path(tempfile.mkdtemp(prefix="sizing-"))
    asyncio.run(measure_main_stack(arguments.vens, log_dir, costs))
    asyncio.run(measure_forwarding_stack(arguments.vens, log_dir, costs))
    arguments.out.write_text(json.dumps(asdict(costs), indent=1) + "\n")
    print(table(costs))
    print(f"\nidle stack, % of one core: {costs.idle_cpu_percent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

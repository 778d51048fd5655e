"""Queueing 1,000 event sets (shared.db.pending.enqueue_many): this checkout's against another checkout's, on one
PostgreSQL, taking turns in one process.

    python -m bench.enqueue_ab --baseline ../other-checkout --database-url postgresql://...  [--rounds 30]

Each round queues one oadrDistributeEvent (one event, 24 hourly ELECTRICITY_PRICE intervals) for each of 1,000
VENs with nothing else waiting, so every set is handed out in its VEN's notice, in one transaction that is
then rolled back: the table is the same for every round. The two implementations alternate which goes first;
the medians of their rounds and their ratio are printed. The baseline's shared/db/pending.py is loaded from
its own path under another module name, with this checkout's other modules. The database gets this
checkout's migrations first (use a throwaway one: `python -m devstack up` gives one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.baseline import baseline_module
from shared.db import pending
from shared.db.access import database_access
from shared.db.migrate import apply_migrations
from shared.db.pool import open_pool
from shared.oadr.common import EiResponse
from shared.oadr.event import ActivePeriod, DistributeEvent, Event, EventDescriptor, EventStatus
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.settings import VtnSettings

SETS = 1000


def event_set(ven_id: str, now: datetime) -> DistributeEvent:
    """A day-ahead price event as a VEN's whole set."""
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    hours = tuple(Interval(duration=timedelta(hours=1), payload=0.10 + hour / 100) for hour in range(24))
    event = Event(
        descriptor=EventDescriptor(
            event_id=f"day-ahead-{start:%Y%m%d}",
            modification_number=0,
            market_context="http://MarketContext1",
            created_date_time=now,
            event_status=EventStatus.FAR,
        ),
        active_period=ActivePeriod(dtstart=start, duration=timedelta(hours=24)),
        signals=(
            EventSignal(
                signal_name=SignalName.ELECTRICITY_PRICE,
                signal_type=SignalType.PRICE,
                signal_id="price",
                intervals=hours,
            ),
        ),
    )
    request_id = uuid.uuid4().hex
    return DistributeEvent(
        request_id=request_id,
        vtn_id="VTN",
        events=(event,),
        response=EiResponse(response_code=200, request_id=request_id),
    )


async def _one_round(pool: asyncpg.Pool, module: Any, sets: list[tuple[str, DistributeEvent, str | None]]) -> float:
    """Seconds to queue `sets` with `module`'s enqueue_many, in a transaction rolled back afterwards."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            started = time.perf_counter()
            queued = await module.enqueue_many(conn, sets)
            elapsed = time.perf_counter() - started
        finally:
            await transaction.rollback()
    if len(queued) != len(sets):
        raise SystemExit(f"{module.__name__} queued {len(queued)} of {len(sets)} sets")
    return elapsed


async def run(baseline: Path, database_url: str, rounds: int) -> dict[str, float]:
    implementations = {"baseline": baseline_module(baseline, "shared/db/pending.py"), "this checkout": pending}
    pool = await open_pool(database_access(VtnSettings(database_url=database_url)), 1, 2)
    try:
        await apply_migrations(pool)
        now = datetime.now(UTC)
        times: dict[str, list[float]] = {who: [] for who in implementations}
        for index in range(rounds + 1):  # the first round warms both up and is not counted
            sets: list[tuple[str, DistributeEvent, str | None]] = [
                (f"bench-ven-{index}-{n}", event_set(f"bench-ven-{index}-{n}", now), f"events:{index}")
                for n in range(SETS)
            ]
            order = list(implementations.items()) if index % 2 else list(reversed(implementations.items()))
            for who, module in order:
                elapsed = await _one_round(pool, module, sets)
                if index:
                    times[who].append(elapsed)
    finally:
        await pool.close()
    return {who: statistics.median(taken) for who, taken in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout (its shared/db/pending.py)")
    parser.add_argument("--database-url", default=os.environ.get("VTN_DATABASE_URL"), help="default: VTN_DATABASE_URL")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per implementation (default 30)")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set VTN_DATABASE_URL")
    medians = asyncio.run(run(args.baseline, args.database_url, args.rounds))
    base, ours = medians["baseline"], medians["this checkout"]
    print(f"| {SETS} sets | baseline, ms | this checkout, ms | this / baseline |")
    print("|---|---:|---:|---:|")
    print(f"| enqueue_many | {base * 1000:.1f} | {ours * 1000:.1f} | {ours / base:.2f} |")


if __name__ == "__main__":
    main()

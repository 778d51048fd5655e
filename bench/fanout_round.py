"""What saving an event's sets costs: one round of event_svc's fan-out (event_svc.fanout) for N VENs, from the
change's commit until every VEN's set is queued, with the CPU this process spent in it.

    python -m devstack up    # a throwaway PostgreSQL (and Kafka); then, in another shell:
    python -m bench.fanout_round --database-url postgresql://postgres@127.0.0.1:5432/vtn [--vens 1000] [--rounds 5]

Each round creates an event naming the N VENs, modifies it, then cancels it, each change saved by event_svc's
own command handler and fanned out by its own fan-out round, as the running service does; the medians over
the rounds are printed per change (the event is purged after each round, unmeasured): the round's time, the CPU this process spent in it (working out the sets,
encoding the statements) and the rest (PostgreSQL's work, and waiting for a core). The database gets this
checkout's migrations and N VENs named `fanout-round-<n>` (use a throwaway one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import timedelta

import asyncpg

from bench.event_bench import level_signal, vtn_event
from event_svc.commands import EventCommandHandler, EventConfig
from event_svc.fanout import SetFanout
from event_svc.refresh import SetOutlet
from shared.contract.envelope import Envelope
from shared.contract.events import CancelEvent, CreateEvent, EventOutcome, ModifyEvent, PurgeEvent
from shared.db.access import database_access
from shared.db.migrate import apply_migrations
from shared.db.pool import open_pool
from shared.oadr.target import Target
from shared.settings import VtnSettings

PHASES = ("create", "modify", "cancel")
NOTICE_PARTITIONS = 16  # the default VTN_TOPIC_PARTITIONS


def changes(event_id: str, ven_ids: tuple[str, ...]) -> list[CreateEvent | ModifyEvent | CancelEvent]:
    """The three changes of one round, in order: the event benchmark's event and its changes."""
    return [
        vtn_event(event_id, Target(ven_ids=ven_ids)),
        ModifyEvent(event_id=event_id, signals=(level_signal(2.0),)),
        CancelEvent(event_id=event_id),
    ]


async def add_vens(pool: asyncpg.Pool, count: int) -> tuple[str, ...]:
    ven_ids = tuple(f"fanout-round-{n:06d}" for n in range(count))
    await pool.execute(
        "INSERT INTO vens (ven_id, status, profile_name, registered_at)"
        " SELECT v, 'registered', '2.0b', now() FROM unnest($1::text[]) v ON CONFLICT (ven_id) DO NOTHING",
        list(ven_ids),
    )
    return ven_ids


async def run(database_url: str, vens: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per change, the medians (ms) of the round's time, this process's CPU in it, and the rest."""
    pool = await open_pool(database_access(VtnSettings(database_url=database_url)), 2, 4)
    outlet = SetOutlet("VTN", NOTICE_PARTITIONS)
    handler = EventCommandHandler(EventConfig(outlet=outlet, retention=timedelta(days=1)))
    fanout = SetFanout(pool, outlet, lambda: None)
    taken: dict[str, dict[str, list[float]]] = {p: {"round": [], "cpu": []} for p in PHASES}
    try:
        await apply_migrations(pool)
        ven_ids = await add_vens(pool, vens)
        for number in range(rounds + 1):  # the first round warms up and is not counted
            event_id = f"fanout-round-{os.getpid()}-{time.time_ns()}"
            for phase, command in zip(PHASES, changes(event_id, ven_ids), strict=True):
                async with pool.acquire() as conn, conn.transaction():
                    outcome = await handler(conn, Envelope(payload=command))
                if not isinstance(outcome, EventOutcome) or outcome.status >= 300:
                    raise SystemExit(f"{phase} refused: {outcome}")
                started, cpu = time.perf_counter(), time.process_time()
                while await fanout.queue_pending():
                    pass
                if number:
                    taken[phase]["round"].append((time.perf_counter() - started) * 1000)
                    taken[phase]["cpu"].append((time.process_time() - cpu) * 1000)
            async with pool.acquire() as conn, conn.transaction():  # gone, so that rounds do not pile up events
                await handler(conn, Envelope(payload=PurgeEvent(event_id=event_id)))
            while await fanout.queue_pending():
                pass
    finally:
        await pool.close()
    medians = {}
    for phase, figures in taken.items():
        spent, cpu = statistics.median(figures["round"]), statistics.median(figures["cpu"])
        medians[phase] = {"round": spent, "cpu": cpu, "rest": max(0.0, spent - cpu)}
    return medians


def table(vens: int, medians: dict[str, dict[str, float]]) -> str:
    lines = [
        f"| {vens} VENs, one event | fan-out round, ms | event_svc's CPU, ms | PostgreSQL and waiting, ms |",
        "|---|---:|---:|---:|",
    ]
    for phase, figures in medians.items():
        lines.append(f"| {phase} | {figures['round']:.0f} | {figures['cpu']:.0f} | {figures['rest']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("VTN_DATABASE_URL"), help="default: VTN_DATABASE_URL")
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds counted (one more warms up)")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set VTN_DATABASE_URL")
    print(table(args.vens, asyncio.run(run(args.database_url, args.vens, args.rounds))))


if __name__ == "__main__":
    main()

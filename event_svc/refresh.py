"""Keeping each VEN's queued oadrDistributeEvent equal to its full current set of events.

A VEN's set is worked out afresh (event_svc.set_plans) whenever something that shapes it changes: an event
is created, modified, cancelled or purged; the VEN's memberships change; it (re)registers; or an event's
status or currentValue moves with the clock (`advance_due_events`, run periodically). A set whose digest
equals the one last queued is not queued again (delivery.update_for); a newer set replaces an older one the
VEN has not fetched yet.

VENs are refreshed in batches: an event for thousands of VENs costs a handful of queries per batch, not
several per VEN, and each distinct set is made once per batch, its copies queued together
(pending.enqueue_event_sets).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from event_svc import delivery, status, store
from event_svc.answer_waits.decisions import awaited_answers
from event_svc.set_plans import plan_sets
from shared.db import pending
from shared.db.connection import Conn
from shared.oadr.event import Event

DEDUP_PREFIX = "events:"
DUE_BATCH = 200
REFRESH_BATCH = 500


@dataclass(frozen=True)
class SetOutlet:
    """What queueing a set needs to know: the VTN's vtnID, and how many partitions the topic of the notices
    to the gateways has (shared.db.pending groups the handouts of a set per partition)."""

    vtn_id: str
    notice_partitions: int


async def refresh_ven(
    conn: Conn, ven_id: str, now: datetime, outlet: SetOutlet, *, registered_at: datetime | None = None
) -> bool:
    """Queue the VEN's full set if it differs from the one last queued. A VEN that (re)registered at
    `registered_at` has lost its state: a set queued before that is queued again even if unchanged."""
    return bool(await refresh_vens(conn, [ven_id], now, outlet, registered_at=registered_at))


async def refresh_vens(
    conn: Conn,
    ven_ids: Iterable[str],
    now: datetime,
    outlet: SetOutlet,
    *,
    registered_at: datetime | None = None,
    again: bool = False,
) -> list[str]:
    """Refresh several VENs; returns those that got a new set queued. Batches go in venID order, so
    concurrent refreshes lock their rows in the same order. `again`: queue each set even if unchanged (the VEN
    has not answered it, event_svc.answer_waits.sweep)."""
    ordered = sorted(set(ven_ids))
    queued: list[str] = []
    for start in range(0, len(ordered), REFRESH_BATCH):
        queued += await _refresh_batch(conn, ordered[start : start + REFRESH_BATCH], now, outlet, registered_at, again)
    return queued


async def refresh_in_batches(
    pool: asyncpg.Pool,
    ven_ids: Iterable[str],
    now: datetime,
    outlet: SetOutlet,
    committed: Callable[[], None],
    concurrency: int = 2,
) -> list[str]:
    """`refresh_vens` with each batch in a transaction of its own, `concurrency` of them at a time, calling
    `committed` after each commit: the first VENs' sets go out while later batches are worked out, and
    PostgreSQL writes one batch while this process works out the next. A refresh is idempotent (an unchanged
    set is not queued again), so a batch committed before a failure is not undone by the retry."""
    ordered = sorted(set(ven_ids))
    limit = asyncio.Semaphore(concurrency)

    async def batch(ven_batch: list[str]) -> list[str]:
        async with limit, pool.acquire() as conn:
            async with conn.transaction():
                queued = await _refresh_batch(conn, ven_batch, now, outlet, None, False)
            committed()
            return queued

    batches = [ordered[start : start + REFRESH_BATCH] for start in range(0, len(ordered), REFRESH_BATCH)]
    async with asyncio.TaskGroup() as group:  # a batch failing cancels the others
        tasks = [group.create_task(batch(b)) for b in batches]
    return [ven_id for task in tasks for ven_id in task.result()]


async def _refresh_batch(
    conn: Conn, ven_ids: list[str], now: datetime, outlet: SetOutlet, registered_at: datetime | None, again: bool
) -> list[str]:
    # Lock first, read after: a set worked out from a read made before a concurrent change committed
    # must not replace the set that change queued.
    last_queued = await store.lock_ven_sets(conn, ven_ids)
    vens = list((await store.memberships(conn, ven_ids)).values())
    plan = plan_sets(await store.events_for_any(conn, vens, now), vens, now, outlet.vtn_id)
    updates = []
    for ven_id in ven_ids:
        last = last_queued[ven_id]
        lost_state = registered_at is not None and last.queued_at < registered_at
        has_events = bool(plan.shared_set(ven_id).events)
        new_digest, force = plan.digest(ven_id), lost_state or again
        updates.append(delivery.update_for(ven_id, new_digest, has_events, last.digest, last.version, force=force))
    to_queue = [u for u in updates if u.queue]
    await store.drop_undelivered_sets(conn, [u.ven_id for u in to_queue], DEDUP_PREFIX)
    copies: dict[int, list[pending.SetCopy]] = {}
    request_ids = _request_ids()
    for update in to_queue:
        copy = pending.SetCopy(update.ven_id, next(request_ids), f"{DEDUP_PREFIX}{update.version}")
        copies.setdefault(plan.set_of[update.ven_id], []).append(copy)
    sets = [(plan.sets[number].shared, of_set) for number, of_set in copies.items()]
    await pending.enqueue_event_sets(conn, sets, outlet.notice_partitions)
    # A set only saved (an empty first one) awaits no answer; one queued awaits those of its events.
    awaited = [awaited_answers(planned.shared.events) for planned in plan.sets]
    saved = [
        (u.ven_id, u.digest, u.version, awaited[plan.set_of[u.ven_id]] if u.queue else []) for u in updates if u.save
    ]
    await store.save_ven_sets(conn, saved)
    return [u.ven_id for u in to_queue]


def _request_ids() -> Iterator[str]:
    """Unique requestIDs for one batch's messages: 64 random bits and a counter (a uuid4 each cost more)."""
    batch = secrets.token_hex(8)
    return (f"{batch}{number:06x}" for number in itertools.count())


async def went_out(conn: Conn, ven_id: str, events: tuple[Event, ...]) -> bool:
    """The VEN just received this full set: True when it is the set last queued for it (whose queued copy now
    counts as gone out), without a lock; False when the set changed since, for `note_delivered` to handle."""
    return await store.went_out_if_current(conn, ven_id, delivery.digest(events), DEDUP_PREFIX)


async def note_delivered(conn: Conn, ven_id: str, events: tuple[Event, ...]) -> None:
    """The VEN just received this full set (oadrRequestEvent): a queued copy of it need not follow. A queued
    copy of the same set counts as gone out now (the answers it awaits are due from now on; a VEN that only
    pulls, as a 2.0a VEN does, would otherwise leave it waiting for a poll forever); an older one is dropped."""
    old_digest, version = await store.lock_ven_set(conn, ven_id)
    new_digest = delivery.digest(events)
    if old_digest != new_digest:
        await store.drop_undelivered_sets(conn, [ven_id], DEDUP_PREFIX)
        await store.save_ven_sets(conn, [(ven_id, new_digest, version, awaited_answers(events))])
    else:
        await store.mark_set_delivered(conn, ven_id, f"{DEDUP_PREFIX}{version}")


async def advance_due_events(pool: asyncpg.Pool, outlet: SetOutlet, retention: timedelta, now: datetime) -> int:
    """Re-deliver the sets of VENs whose events changed status or currentValue (or aged out) by `now`."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            ven_ids: set[str] = set()
            for event_id in await store.due_event_ids(conn, now, DUE_BATCH):
                stored = await store.get_event(conn, event_id)
                if stored is None:
                    continue
                ven_ids.update(await store.targeted_ven_ids(conn, stored.event.targets))
                upcoming = status.schedule(stored.event, stored.cancelled, now, retention).next_change_at
                await store.set_next_change(conn, event_id, upcoming)
            return len(await refresh_vens(conn, ven_ids, now, outlet))

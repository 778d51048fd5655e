"""Keeping each VEN's queued oadrDistributeEvent equal to its full current set of events.

A VEN's set is worked out afresh (delivery.full_sets) whenever something that shapes it changes: an event
is created, modified, cancelled or purged; the VEN's memberships change; it (re)registers; or an event's
status or currentValue moves with the clock (`advance_due_events`, run periodically). A set whose digest
equals the one last queued is not queued again (delivery.update_for); a newer set replaces an older one the
VEN has not fetched yet.

VENs are refreshed in batches: an event for thousands of VENs costs a handful of queries per batch, not
several per VEN.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from event_svc import delivery, status, store
from event_svc.answer_waits.decisions import awaited_answers
from shared.db import pending
from shared.db.connection import Conn
from shared.oadr.event import Event

DEDUP_PREFIX = "events:"
DUE_BATCH = 200
REFRESH_BATCH = 500


async def refresh_ven(
    conn: Conn, ven_id: str, now: datetime, vtn_id: str, *, registered_at: datetime | None = None
) -> bool:
    """Queue the VEN's full set if it differs from the one last queued. A VEN that (re)registered at
    `registered_at` has lost its state: a set queued before that is queued again even if unchanged."""
    return bool(await refresh_vens(conn, [ven_id], now, vtn_id, registered_at=registered_at))


async def refresh_vens(
    conn: Conn,
    ven_ids: Iterable[str],
    now: datetime,
    vtn_id: str,
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
        queued += await _refresh_batch(conn, ordered[start : start + REFRESH_BATCH], now, vtn_id, registered_at, again)
    return queued


async def _refresh_batch(
    conn: Conn, ven_ids: list[str], now: datetime, vtn_id: str, registered_at: datetime | None, again: bool
) -> list[str]:
    # Lock first, read after: a set worked out from a read made before a concurrent change committed
    # must not replace the set that change queued.
    last_queued = await store.lock_ven_sets(conn, ven_ids)
    vens = await store.memberships(conn, ven_ids)
    sets = delivery.full_sets(await store.events_for_any(conn, list(vens.values()), now), vens.values(), now)
    updates = []
    for ven_id in ven_ids:
        last = last_queued[ven_id]
        lost_state = registered_at is not None and last.queued_at < registered_at
        updates.append(delivery.update_for(ven_id, sets[ven_id], last.digest, last.version, force=lost_state or again))
    to_queue = [u for u in updates if u.queue]
    await store.drop_undelivered_sets(conn, [u.ven_id for u in to_queue], DEDUP_PREFIX)
    await pending.enqueue_many(
        conn,
        [
            (u.ven_id, delivery.distribute(u.events, uuid.uuid4().hex, vtn_id), f"{DEDUP_PREFIX}{u.version}")
            for u in to_queue
        ],
    )
    # A set only saved (an empty first one) awaits no answer; one queued awaits those of its events.
    saved = [(u.ven_id, u.digest, u.version, awaited_answers(u.events) if u.queue else []) for u in updates if u.save]
    await store.save_ven_sets(conn, saved)
    return [u.ven_id for u in to_queue]


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


async def advance_due_events(pool: asyncpg.Pool, vtn_id: str, retention: timedelta, now: datetime) -> int:
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
            return len(await refresh_vens(conn, ven_ids, now, vtn_id))

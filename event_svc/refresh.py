"""Keeping each VEN's queued oadrDistributeEvent equal to its full current set of events.

A VEN's set is worked out afresh (delivery.full_set) whenever something that shapes it changes: an event
is created, modified, cancelled or purged; the VEN's memberships change; it (re)registers; or an event's
status or currentValue moves with the clock (`advance_due_events`, run periodically). A set whose digest
equals the one last queued is not queued again; a newer set replaces an older one the VEN has not
fetched yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from event_svc import delivery, status, store
from shared.db import pending
from shared.db.connection import Conn
from shared.oadr.event import Event

DEDUP_PREFIX = "events:"
DUE_BATCH = 200


async def refresh_ven(conn: Conn, ven_id: str, now: datetime, vtn_id: str, *, force: bool = False) -> bool:
    """Queue the VEN's full set if it differs from the one last queued; with `force` (a VEN that registered
    again and lost its state), also an unchanged set that holds events."""
    # Lock first, read after: a set worked out from a read made before a concurrent change committed
    # must not replace the set that change queued.
    old_digest, version = await store.lock_ven_set(conn, ven_id)
    ven = await store.membership(conn, ven_id)
    events = delivery.full_set(await store.events_for_ven(conn, ven, now), ven, now)
    new_digest = delivery.digest(events)
    if old_digest == new_digest and not (force and events):
        return False
    if old_digest is None and not events:
        await store.save_ven_set(conn, ven_id, new_digest, version)
        return False
    version += 1
    await store.drop_undelivered_sets(conn, ven_id, DEDUP_PREFIX)
    message = delivery.distribute(events, uuid.uuid4().hex, vtn_id)
    await pending.enqueue(conn, ven_id, message, dedup_key=f"{DEDUP_PREFIX}{version}")
    await store.save_ven_set(conn, ven_id, new_digest, version)
    return True


async def refresh_vens(conn: Conn, ven_ids: Iterable[str], now: datetime, vtn_id: str) -> int:
    """Refresh several VENs, in venID order so concurrent refreshes lock their rows in the same order."""
    queued = 0
    for ven_id in sorted(set(ven_ids)):
        queued += await refresh_ven(conn, ven_id, now, vtn_id)
    return queued


async def note_delivered(conn: Conn, ven_id: str, events: tuple[Event, ...]) -> None:
    """The VEN just received this full set (oadrRequestEvent): a queued copy of it need not follow."""
    old_digest, version = await store.lock_ven_set(conn, ven_id)
    new_digest = delivery.digest(events)
    if old_digest != new_digest:
        await store.drop_undelivered_sets(conn, ven_id, DEDUP_PREFIX)
        await store.save_ven_set(conn, ven_id, new_digest, version)


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
            return await refresh_vens(conn, ven_ids, now, vtn_id)

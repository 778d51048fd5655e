"""Queueing a batch of VENs' event sets tells, in the statement that queues them, which VENs have nothing else
waiting: those get their set as a handout, a VEN with another message waiting a plain notice (its poll then
takes its messages in order); and a batch costs nine statements, whatever its VENs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest

from event_svc import store
from shared.contract.ven_traffic import EventSetHandouts, VenChanged
from shared.oadr.target import Target
from tests.integration.test_event_fanout import an_event, queue_sets
from tests.stack import RunningVtn

STATEMENTS_PER_BATCH = (
    9  # set rows locked, memberships, events, old sets dropped, bodies (2), copies, notices, set rows
)


async def test_only_vens_with_nothing_else_waiting_get_a_handout_in_nine_statements_a_batch(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    waiting, free = unique("set-waiting"), unique("set-free")
    transaction = db.transaction()
    await transaction.start()
    try:  # nothing is committed: the running stack never sees these sets
        await db.execute(
            "INSERT INTO pending_messages (ven_id, message_type, message) VALUES ($1, 'oadrCreateReport', '{}')",
            waiting,
        )
        await queue_sets(db, [unique("warm")], an_event(unique("warm-event"), Target(ven_ids=(unique("x"),))))
        statements, notices = await queue_sets(
            db, [waiting, free], an_event(unique("set-event"), Target(ven_ids=(waiting, free)))
        )
    finally:
        await transaction.rollback()
    plain = [n.payload.ven_id for n in notices if isinstance(n.payload, VenChanged)]
    handed = [r.ven_id for n in notices if isinstance(n.payload, EventSetHandouts) for r in n.payload.recipients]
    assert plain == [waiting] and handed == [free]
    assert statements == STATEMENTS_PER_BATCH


async def test_set_rows_are_created_or_locked_in_one_statement_even_when_another_transaction_creates_one(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """A VEN's first set row, inserted by another transaction while the statement runs (a registration's refresh
    and the fan-out), is locked and read all the same."""
    existing, raced, new = unique("set-row-a"), unique("set-row-b"), unique("set-row-c")
    await db.execute("INSERT INTO ven_event_sets (ven_id, digest, version) VALUES ($1, 'd1', 3)", existing)
    other = await asyncpg.connect(vtn.database_url)
    try:
        racing = other.transaction()
        await racing.start()
        await other.execute("INSERT INTO ven_event_sets (ven_id, digest, version) VALUES ($1, 'd2', 5)", raced)
        async with db.transaction():
            locking = asyncio.create_task(store.lock_ven_sets(db, [new, raced, existing]))
            await asyncio.sleep(0.5)  # the statement waits for the racing insert of the same venID
            assert not locking.done()
            await racing.commit()
            locked = await asyncio.wait_for(locking, 10)
            assert {v: (q.digest, q.version) for v, q in locked.items()} == {
                existing: ("d1", 3),
                raced: ("d2", 5),
                new: (None, 0),
            }
            other_lock = other.fetchval("SELECT 1 FROM ven_event_sets WHERE ven_id = $1 FOR UPDATE NOWAIT", raced)
            with pytest.raises(asyncpg.LockNotAvailableError):
                await other_lock
    finally:
        await other.close()
        await db.execute("DELETE FROM ven_event_sets WHERE ven_id = ANY($1::text[])", [existing, raced, new])

"""Queueing a batch of VENs' event sets tells, in the statement that queues them, which VENs have nothing else
waiting: those get their set as a handout, a VEN with another message waiting a plain notice (its poll then
takes its messages in order); and a batch costs ten statements, whatever its VENs."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from shared.contract.ven_traffic import EventSetHandouts, VenChanged
from shared.oadr.target import Target
from tests.integration.test_event_fanout import an_event, queue_sets
from tests.stack import RunningVtn

STATEMENTS_PER_BATCH = 10  # lock (2), memberships, events, old sets dropped, bodies (2), copies, notices, set rows


async def test_only_vens_with_nothing_else_waiting_get_a_handout_in_ten_statements_a_batch(
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

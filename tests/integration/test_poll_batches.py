"""registration_svc takes the polls of a consumer fetch together: the statements of one for many VENs, every
VEN's polls and handout records in order, each poll answered as if alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from registration_svc import store
from registration_svc.handout_records import HandoutRecords
from registration_svc.poll_batches import PollBatches, distinct_rounds
from registration_svc.polls import PollHandler
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import PendingDelivered, VenReply, VenRequest
from shared.db import pending
from shared.oadr.event import DistributeEvent
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import Poll, RequestReregistration, Response
from tests.integration.test_event_fanout import OneConnection, Relay, StatementCount
from tests.stack import RunningVtn


def poll(ven_id: str) -> Envelope:
    return Envelope(ven_id=ven_id, payload=VenRequest(message=Poll(ven_id=ven_id)))


def handed_out(ven_id: str, pending_id: int) -> Envelope:
    fact = PendingDelivered(ven_id=ven_id, pending_id=pending_id, delivered_at=datetime.now(UTC))
    return Envelope(ven_id=ven_id, payload=fact)


def test_a_vens_polls_go_in_successive_rounds_in_order() -> None:
    polls = [poll("a"), poll("b"), poll("a"), poll("c"), poll("a"), poll("b")]
    assert distinct_rounds(polls) == [[0, 1, 3], [2, 5], [4]]


async def test_the_polls_of_many_vens_take_the_statements_of_one_and_each_gets_its_own_answer(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    busy, idle, handed, stranger = (unique("polling-ven") for _ in range(4))
    pool = OneConnection(db)
    batches = PollBatches(pool, PollHandler(pool, Relay(), "test.poll"), HandoutRecords(pool, Relay()))  # type: ignore[arg-type]
    transaction = db.transaction()
    await transaction.start()
    try:  # nothing is committed: the running stack never sees these VENs
        for ven_id in (busy, idle, handed):
            assert await store.provision_in_force(db, ven_id, None, None, OadrProfile.B, None)
        first = await pending.enqueue(db, busy, RequestReregistration(ven_id=busy), "rereg:1")
        second = await pending.enqueue(db, busy, DistributeEvent(request_id="r", vtn_id="vtn"), "set:1")
        given = await pending.enqueue(db, handed, RequestReregistration(ven_id=handed), "rereg:2")
        await batches.handle_batch([poll(idle)])  # the driver looks up the statement's types
        counter = StatementCount()
        db.add_query_logger(counter)
        await batches.handle_batch([poll(idle)])
        statements_one = await counter.taken()
        replies = await batches.handle_batch([poll(busy), poll(idle), poll(busy), poll(stranger)])
        statements_many = await counter.taken()
        db.remove_query_logger(counter)
        later = await batches.handle_batch([handed_out(handed, given), poll(handed)])
    finally:
        await transaction.rollback()
    assert statements_many == statements_one + 1  # a second round for the VEN that polled twice
    busy_first, idle_reply, busy_second, stranger_reply = replies
    assert isinstance(busy_first, VenReply) and busy_first.pending_id == first
    assert isinstance(busy_first.message, RequestReregistration) and not busy_first.cacheable
    assert isinstance(busy_second, VenReply) and busy_second.pending_id == second
    assert isinstance(busy_second.message, DistributeEvent)
    assert later[0] is None  # a handout record has no reply
    for nothing in (idle_reply, later[1]):  # the handout record was applied before the poll
        assert isinstance(nothing, VenReply) and nothing.cacheable and nothing.pending_id is None
        assert isinstance(nothing.message, Response) and nothing.message.response.response_code == 200
    assert isinstance(stranger_reply, VenReply) and isinstance(stranger_reply.message, Response)
    assert stranger_reply.message.response.response_code == 452 and stranger_reply.cacheable

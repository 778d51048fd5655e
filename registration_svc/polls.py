"""oadrPoll: hand the VEN its next pending message, or say there is nothing (an answer the gateway may cache).

Polls reach this service only when the gateway has no cached answer for the VEN. Most of them find
nothing pending: that is answered from one read, without a transaction or an inbox row. Only a poll
that finds a message goes through the idempotent path that marks it delivered.
"""

from __future__ import annotations

import asyncpg

from registration_svc import replies, store
from registration_svc.records import ACTIVE_STATUSES, VenStatus
from registration_svc.ven_requests import publish_registration_event
from shared.contract.backend_events import RegistrationChange
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db import pending
from shared.db.connection import Conn
from shared.db.idempotent import IdempotentHandler
from shared.db.outbox import OutboxRelay
from shared.oadr.common import ResponseCode
from shared.oadr.registration import CancelPartyRegistration, Poll


def _poll_of(envelope: Envelope) -> Poll | None:
    request = envelope.payload
    if isinstance(request, VenRequest) and isinstance(request.message, Poll):
        return request.message
    return None


def _nothing_pending(ven_id: str) -> VenReply:
    return VenReply(message=replies.response(ResponseCode.OK, "OK", ven_id), cacheable=True)


def _refusal(ven_id: str, known: bool) -> VenReply:
    if not known:
        return VenReply(message=replies.response(ResponseCode.INVALID_ID, "unknown venID", ven_id), cacheable=True)
    return VenReply(
        message=replies.response(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "VEN is not registered", ven_id),
        cacheable=True,
    )


class PollHandler:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, consumer_name: str) -> None:
        self._pool = pool
        self._deliver = IdempotentHandler(pool, consumer_name, deliver_next, relay)

    async def __call__(self, envelope: Envelope) -> VenReply | None:
        poll = _poll_of(envelope)
        if poll is None:
            return None
        async with self._pool.acquire() as conn:
            state = await store.poll_state(conn, poll.ven_id)
        if state is None or state[0] not in ACTIVE_STATUSES:
            return _refusal(poll.ven_id, known=state is not None)
        if not state[1]:
            return _nothing_pending(poll.ven_id)
        reply = await self._deliver(envelope)
        return reply if isinstance(reply, VenReply) else None


async def deliver_next(conn: Conn, envelope: Envelope) -> VenReply | None:
    poll = _poll_of(envelope)
    if poll is None:
        return None
    record = await store.by_ven_id(conn, poll.ven_id, lock=True)
    if record is None or not record.is_registered:
        return _refusal(poll.ven_id, known=record is not None)
    next_message = await pending.take_next(conn, poll.ven_id)
    if next_message is None:
        return _nothing_pending(poll.ven_id)
    if isinstance(next_message.message, CancelPartyRegistration):
        # Once told, the VEN is no longer registered, whether or not it acknowledges.
        await store.set_status(conn, poll.ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn, RegistrationChange.CANCELLED, poll.ven_id, record.ven_name, record.registration_id
        )
    return VenReply(message=next_message.message)

"""oadrPoll: hand the VEN its next pending message, or say there is nothing (an answer the gateway may cache);
and record the messages gateways handed out themselves (shared.db.pending's fast path) and those the pusher
delivered to push VENs.

A push VEN's poll takes nothing: its messages are pushed in order by one pusher, and a poll taking one would
deliver it beside the push, out of order. It gets "nothing pending" (cacheable), and still counts as a sign
of life for presence.

Polls reach this service only when the gateway has no cached answer for the VEN. One statement checks the
VEN's registration and takes its next message (pending.take_for_poll): no inbox row, since a poll that
comes back after the gateway's reply timeout is skipped as stale anyway. Only a message whose delivery
changes the registration (oadrCancelPartyRegistration) goes through the transactional path.

A gateway that got this service's answer only after answering the VEN 503, or after the VEN hung up,
reports the message it carried (`PendingUndelivered`, on the VEN's key like its polls): the message goes back
in the queue, once per report (inbox), unless a later message has gone out since (then the resends awaiting
the VEN's reply cover it).
"""

from __future__ import annotations

import logging

import asyncpg

from registration_svc import replies, store
from registration_svc.poll_hook import PollHook
from registration_svc.records import VenStatus
from registration_svc.ven_requests import publish_registration_event
from shared.contract.backend_events import RegistrationChange
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import PendingDelivered, PendingUndelivered, VenReply, VenRequest
from shared.db import handler_events, pending
from shared.db.connection import Conn
from shared.db.idempotent import IdempotentHandler
from shared.db.outbox import OutboxRelay
from shared.db.vens import in_another_profile
from shared.metrics import UNDELIVERED_PENDING
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.event import DistributeEvent
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import CancelPartyRegistration, Poll, Response

log = logging.getLogger(__name__)


def poll_of(envelope: Envelope) -> Poll | None:
    request = envelope.payload
    if isinstance(request, VenRequest) and isinstance(request.message, Poll):
        return request.message
    return None


def profile_of(envelope: Envelope) -> str:
    """The profile the poll came in (oadrPoll exists in 2.0b only, so a 2.0a VEN's poll is refused)."""
    request = envelope.payload
    return request.context.profile if isinstance(request, VenRequest) else OadrProfile.B


def _nothing_pending(ven_id: str) -> VenReply:
    return VenReply(message=answers.nothing_pending(ven_id), cacheable=True)


def _pushed_instead(ven_id: str) -> VenReply:
    return VenReply(
        message=answers.response(ResponseCode.OK, "nothing to poll: this VEN's messages are pushed", ven_id),
        cacheable=True,
    )


def _refusal(ven_id: str, known: bool) -> VenReply:
    if not known:
        return VenReply(message=replies.response(ResponseCode.INVALID_ID, "unknown venID", ven_id), cacheable=True)
    return VenReply(
        message=replies.response(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "VEN is not registered", ven_id),
        cacheable=True,
    )


# A poll's answer is the delivery of the VEN's next message: stale once the gateway stopped waiting.
ANSWERED_BY_DELIVERY = frozenset({"oadrPoll"})
# Delivering these changes the VEN's registration too: they go through the transactional path (deliver_next).
NEEDS_TRANSACTION = frozenset({"oadrCancelPartyRegistration"})


class PollHandler:
    """Everything on the poll-requests topic: polls the gateway forwarded, records of handouts and pushes."""

    def __init__(
        self, pool: asyncpg.Pool, relay: OutboxRelay, consumer_name: str, on_poll: PollHook | None = None
    ) -> None:
        self._pool = pool
        self._on_poll = on_poll  # VTN_ON_POLL: asked when nothing is pending (registration_svc.poll_hook)
        self._relay = relay
        self._deliver = IdempotentHandler(pool, consumer_name, deliver_next, relay)
        self._put_back = IdempotentHandler(pool, consumer_name, put_back_undelivered, relay)

    async def __call__(self, envelope: Envelope) -> VenReply | None:
        if isinstance(envelope.payload, PendingDelivered):
            await self._record_delivery(envelope.payload)
            return None
        if isinstance(envelope.payload, PendingUndelivered):
            await self._put_back(envelope)
            return None
        poll = poll_of(envelope)
        if poll is None:
            return None
        profile = profile_of(envelope)
        async with self._pool.acquire() as conn:
            taken = await pending.take_for_poll(conn, poll.ven_id, NEEDS_TRANSACTION, profile)
        return await self.finish(envelope, taken)

    async def finish(self, envelope: Envelope, taken: pending.PollTake) -> VenReply | None:
        """The reply to a poll, from what taking the VEN's next message found; the hook and the transactional
        path give the replies the take leaves to them."""
        poll = poll_of(envelope)
        assert poll is not None
        reply = reply_of_take(poll.ven_id, taken, profile_of(envelope))
        if reply is not None:
            return reply
        if taken.head_type is None:
            return _nothing_pending(poll.ven_id) if self._on_poll is None else await self._hook_reply(poll.ven_id)
        delivered = await self._deliver(envelope)  # a message whose delivery changes the registration
        return delivered if isinstance(delivered, VenReply) else None

    @property
    def asks_a_hook(self) -> bool:
        """Whether VTN_ON_POLL is asked when nothing is pending."""
        return self._on_poll is not None

    async def _hook_reply(self, ven_id: str) -> VenReply:
        """VTN_ON_POLL's answer, recorded as sent to the VEN so that its answer to it is accepted (and only its):
        the events it gives, and a message the VEN acknowledges (oadrRequestReregistration)."""
        assert self._on_poll is not None
        reply = await self._on_poll.reply(ven_id)
        message = reply.message
        if isinstance(message, Response) or (isinstance(message, DistributeEvent) and not message.events):
            return reply
        async with self._pool.acquire() as conn:
            if isinstance(message, DistributeEvent):
                await handler_events.record(conn, ven_id, message.events)
            else:
                await pending.record_delivered(conn, ven_id, message)
        return reply

    async def _record_delivery(self, fact: PendingDelivered) -> None:
        """Idempotent by nature (only an undelivered row changes, and its effect follows that change), so no
        inbox row is needed."""
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                delivered = await pending.mark_delivered(conn, fact.ven_id, fact.pending_id, fact.delivered_at)
                if delivered.message_type in NEEDS_TRANSACTION:
                    await cancelled_by_delivery(conn, fact.ven_id)
        if delivered.message_type in NEEDS_TRANSACTION or not delivered.emptied:
            self._relay.wake()


def reply_of_take(ven_id: str, taken: pending.PollTake, profile: str) -> VenReply | None:
    """The reply a take gives by itself; None when nothing was pending (the hook may be asked) or the head is
    a message the take leaves to the transactional path."""
    if not taken.in_force:
        return _refusal(ven_id, known=taken.known)
    if taken.ven_profile != profile:
        return in_another_profile(ven_id, taken.ven_profile or "", profile)
    if taken.pushed:
        return _pushed_instead(ven_id)
    if taken.message is not None:
        return VenReply(message=taken.message, pending_id=taken.pending_id)
    return None


async def deliver_next(conn: Conn, envelope: Envelope) -> VenReply | None:
    poll = poll_of(envelope)
    if poll is None:
        return None
    record = await store.by_ven_id(conn, poll.ven_id, lock=True)
    if record is None or not record.in_force:
        return _refusal(poll.ven_id, known=record is not None)
    if record.profile_name != profile_of(envelope):
        return in_another_profile(poll.ven_id, record.profile_name, profile_of(envelope))
    next_message = await pending.take_next(conn, poll.ven_id)
    if next_message is None:
        return _nothing_pending(poll.ven_id)
    if isinstance(next_message.message, CancelPartyRegistration):
        await cancelled_by_delivery(conn, poll.ven_id)
    return VenReply(message=next_message.message, pending_id=next_message.id)


async def cancelled_by_delivery(conn: Conn, ven_id: str) -> None:
    """Once told (its oadrCancelPartyRegistration taken by a poll, or pushed and answered), the VEN is no longer
    registered, whether or not it acknowledges. Once: a VEN already cancelled (by its acknowledgement) stays."""
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None or record.status is VenStatus.CANCELLED:
        return
    await store.set_status(conn, ven_id, VenStatus.CANCELLED)
    await publish_registration_event(
        conn,
        RegistrationChange.CANCELLED,
        ven_id,
        record.ven_name,
        record.registration_id,
        profile_name=record.profile_name,
    )


async def put_back_undelivered(conn: Conn, envelope: Envelope) -> None:
    fact = envelope.payload
    if not isinstance(fact, PendingUndelivered):
        return None
    outcome = await pending.put_back(conn, fact.ven_id, fact.pending_id, NEEDS_TRANSACTION)
    UNDELIVERED_PENDING.labels(outcome.value).inc()
    log.log(
        logging.INFO if outcome is pending.PutBack.RETURNED else logging.WARNING,
        "a pending message the VEN never got",
        extra={"action": "pending_put_back", "outcome": outcome.value, "pending_id": fact.pending_id},
    )
    return None

"""Answers to the EiEvent and EiOpt messages a VEN sends: oadrRequestEvent (its full set, up to
replyLimit), oadrCreatedEvent (answers stored and published), oadrCreateOpt and oadrCancelOpt.

Every ID is looked up among the speaking VEN's own (shared.ven_identity): an eventID must name an event sent
to that VEN (targeted at it, or given it by the on_request_event handler), an optID is the VEN's own (another
VEN's opt with the same optID is another opt), and each is refused as unknown (452) otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from event_svc import delivery, refresh, store
from event_svc.created_events import Answering, take_answers
from shared import topics
from shared.contract.envelope import Envelope, Payload, utcnow
from shared.contract.events import OptChange, OptFact
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db import handler_events, outbox
from shared.db.connection import Conn
from shared.db.idempotent import IdempotentHandler
from shared.db.vens import registered_request
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.event import CreatedEvent, DistributeEvent, Event, RequestEvent
from shared.oadr.messages import VtnMessage
from shared.oadr.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from shared.openleadr_events import InvalidHandlerEvents, events_from_handler
from shared.plugins import call_handler

log = logging.getLogger(__name__)

# oadrRequestEvent's answer is the VEN's event set: stale once the gateway stopped waiting.
ANSWERED_BY_DELIVERY = frozenset({"oadrRequestEvent"})


class EventRequestHandler:
    def __init__(self, vtn_id: str, on_request_event: Callable[..., Any] | None = None) -> None:
        self._vtn_id = vtn_id
        self._on_request_event = on_request_event

    async def __call__(self, conn: Conn, envelope: Envelope) -> VenReply | None:
        checked = await registered_request(conn, envelope)
        if not isinstance(checked, tuple):
            return checked
        message, ven_id = checked
        if isinstance(message, RequestEvent) and self._on_request_event is None:
            return await self._request_event(conn, message, ven_id, utcnow())
        return VenReply(message=await self._answer(conn, message, ven_id, utcnow()))

    async def _answer(self, conn: Conn, message: object, ven_id: str, now: datetime) -> VtnMessage:
        if isinstance(message, RequestEvent):
            assert self._on_request_event is not None
            return await self._events_from_handler(conn, self._on_request_event, message, ven_id, now)
        if isinstance(message, CreatedEvent):
            return await self._created_event(conn, message, ven_id, now)
        if isinstance(message, CreateOpt):
            return await self._create_opt(conn, message, ven_id, now)
        if isinstance(message, CancelOpt):
            return await self._cancel_opt(conn, message, ven_id, now)
        return answers.response(ResponseCode.BAD_REQUEST, "not an EiEvent or EiOpt message", ven_id)

    @property
    def answers_pulls_from_store(self) -> bool:
        """Whether oadrRequestEvent is answered from the VTN's own events (not VTN_ON_REQUEST_EVENT's handler)."""
        return self._on_request_event is None

    async def _request_event(self, conn: Conn, message: RequestEvent, ven_id: str, now: datetime) -> VenReply:
        """The VEN's full set as of now (up to replyLimit). A whole set is the answer to any oadrRequestEvent of
        the VEN until a notice says its set changed: the gateway may repeat it (a 2.0a VEN pulls this way).

        Most pulls find the set last queued for the VEN: a few reads and one statement, no lock. A set that
        changed since (the clock moved an event on before the periodic refresh did) is worked out again under
        the VEN's lock, as refresh does (lock first, read after: no stale set wins), and noted."""
        events = await self._current_set(conn, ven_id, now)
        sent = delivery.limited(events, message.reply_limit)
        if sent == events and not await refresh.went_out(conn, ven_id, events):
            async with conn.transaction():
                await store.lock_ven_set(conn, ven_id)
                events = await self._current_set(conn, ven_id, now)
                sent = delivery.limited(events, message.reply_limit)
                if sent == events:
                    await refresh.note_delivered(conn, ven_id, events)
        answer = DistributeEvent(
            response=answers.ok(message.request_id), request_id=message.request_id, vtn_id=self._vtn_id, events=sent
        )
        return VenReply(message=answer, cacheable=sent == events)

    @staticmethod
    async def _current_set(conn: Conn, ven_id: str, now: datetime) -> tuple[Event, ...]:
        ven = await store.membership(conn, ven_id)
        return delivery.full_set(await store.events_for_ven(conn, ven, now), ven, now)

    async def _events_from_handler(
        self, conn: Conn, handler: Callable[..., Any], message: RequestEvent, ven_id: str, now: datetime
    ) -> VtnMessage:
        """VTN_ON_REQUEST_EVENT: the OpenLEADR handler decides the VEN's events; the VTN's own are not consulted."""
        try:
            events = events_from_handler(await call_handler(handler, ven_id), ven_id, now)
        except Exception as error:  # the user's handler: any failure is the VEN's error answer, never a crash
            kind = "returned invalid events" if isinstance(error, InvalidHandlerEvents) else "failed"
            log.exception("on_request_event handler %s for VEN %s", kind, ven_id)
            return answers.response(
                ResponseCode.DEPLOYMENT_ERROR_OTHER, f"event handler {kind}", ven_id, message.request_id
            )
        sent = delivery.limited(events, message.reply_limit)
        await handler_events.record(conn, ven_id, sent)
        return DistributeEvent(
            response=answers.ok(message.request_id), request_id=message.request_id, vtn_id=self._vtn_id, events=sent
        )

    async def _created_event(self, conn: Conn, message: CreatedEvent, ven_id: str, now: datetime) -> VtnMessage:
        [answer] = await take_answers(conn, [Answering(ven_id, message)], now)
        return answer

    async def _create_opt(self, conn: Conn, message: CreateOpt, ven_id: str, now: datetime) -> CreatedOpt:
        if message.event_id is None and not message.vavailability:
            refusal = answers.error(
                ResponseCode.INVALID_DATA, "an opt names an event or an availability schedule", message.request_id
            )
            return CreatedOpt(response=refusal, opt_id=message.opt_id)
        if message.event_id is not None:
            stored = await store.get_event(conn, message.event_id)
            ven = await store.membership(conn, ven_id)
            if stored is None or delivery.target_for(ven, stored.event.targets) is None:
                refusal = answers.error(
                    ResponseCode.INVALID_ID, f"no event {message.event_id!r} for this VEN", message.request_id
                )
                return CreatedOpt(response=refusal, opt_id=message.opt_id)
        # optIDs are the VEN's own: another VEN's opt with the same optID is another opt
        replaced = await store.save_opt(conn, message)
        change = OptChange.REPLACED if replaced else OptChange.CREATED
        fact = OptFact(change=change, ven_id=ven_id, opt_id=message.opt_id, opt=message, occurred_at=now)
        await outbox.add(conn, topics.OPT_EVENTS, Envelope(ven_id=ven_id, payload=fact))
        return CreatedOpt(response=answers.ok(message.request_id), opt_id=message.opt_id)

    async def _cancel_opt(self, conn: Conn, message: CancelOpt, ven_id: str, now: datetime) -> CanceledOpt:
        if not await store.cancel_opt(conn, message.opt_id, ven_id):
            refusal = answers.error(
                ResponseCode.INVALID_ID, f"no optID {message.opt_id!r} in force for this VEN", message.request_id
            )
            return CanceledOpt(response=refusal, opt_id=message.opt_id)
        fact = OptFact(change=OptChange.CANCELLED, ven_id=ven_id, opt_id=message.opt_id, opt=None, occurred_at=now)
        await outbox.add(conn, topics.OPT_EVENTS, Envelope(ven_id=ven_id, payload=fact))
        return CanceledOpt(response=answers.ok(message.request_id), opt_id=message.opt_id)


class PullsBesideTheInbox:
    """oadrRequestEvent answered from the store without an inbox row, as registration_svc answers a poll: its
    answer is the delivery, a repeat reads the set afresh and counts it gone out again (which changes nothing),
    and the service consumer drops one older than the reply timeout (its VEN had a 503 and asks again). Pulls
    are what 2.0a VENs send every few seconds, so they cost a few reads. Every other request goes through the
    inbox (`idempotent`)."""

    def __init__(self, pool: asyncpg.Pool, handler: EventRequestHandler, idempotent: IdempotentHandler) -> None:
        self._pool = pool
        self._handler = handler
        self._idempotent = idempotent

    async def __call__(self, envelope: Envelope) -> Payload | None:
        request = envelope.payload
        if (
            isinstance(request, VenRequest)
            and isinstance(request.message, RequestEvent)
            and self._handler.answers_pulls_from_store
        ):
            async with self._pool.acquire() as conn:
                return await self._handler(conn, envelope)
        return await self._idempotent(envelope)

"""One OpenADR exchange: body in, answer out. Independent of the web framework, so it is tested directly.

    body -> decode (hardened parse, XSD) -> route check -> [poll cache] -> service over Kafka -> render
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from gateway.answers import CarriedPending, HttpAnswer, is_error, message_answer, oadr_error, service_unavailable
from gateway.handouts import HandoutReporter
from gateway.poll_answers import PollAnswerCache
from gateway.refusals import DOCUMENT_REFUSALS, refusal_log
from gateway.routing import ROUTES_BY_SERVICE, Route
from gateway.security.message_security import MessageSecurity
from gateway.sightings import SightingBatcher
from shared import topics
from shared.bus.errors import BusUnavailable, ReplyTimeout
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.logs import correlation_id_var, ven_id_var
from shared.oadr.answers import nothing_pending
from shared.oadr.common import ResponseCode
from shared.oadr.registration import Poll
from shared.oadr_xml.codec import decode, encode
from shared.oadr_xml.errors import OadrXmlError
from shared.throttled_log import ThrottledLog

log = logging.getLogger(__name__)


class Requester(Protocol):
    async def request(self, topic: str, envelope: Envelope, timeout: float) -> Envelope: ...


@dataclass(frozen=True)
class ExchangeSettings:
    reply_timeout_seconds: float


class OadrExchange:
    def __init__(
        self,
        requester: Requester,
        schema: etree.XMLSchema,
        poll_answers: PollAnswerCache,
        sightings: SightingBatcher,
        settings: ExchangeSettings,
        security: MessageSecurity | None = None,
        handouts: HandoutReporter | None = None,
        refusals: ThrottledLog | None = None,
    ) -> None:
        self._requester = requester
        self._schema = schema
        self._poll_answers = poll_answers
        self._sightings = sightings
        self._timeout = settings.reply_timeout_seconds
        self._security = security
        self._handouts = handouts
        self._refusals = refusals or refusal_log()

    async def handle(self, service: str, body: bytes, context: RequestContext) -> HttpAnswer:
        answer = await self._answer(service, body, context)
        return self._security.seal(answer) if self._security is not None else answer

    async def _answer(self, service: str, body: bytes, context: RequestContext) -> HttpAnswer:
        route = ROUTES_BY_SERVICE.get(service)
        if route is None:
            return oadr_error(404, ResponseCode.BAD_REQUEST, f"no OpenADR service {service!r} here")
        try:
            document = decode(body, self._schema)
        except OadrXmlError as exc:
            reason = type(exc).__name__
            DOCUMENT_REFUSALS.labels(reason).inc()
            self._refusals.info("document_refused", reason, "document refused", detail=str(exc)[:300])
            status = 200 if exc.answer_in_oadr_response else exc.http_status
            return oadr_error(status, ResponseCode.BAD_REQUEST, str(exc))
        message = document.message
        if self._security is not None:
            admitted = await self._security.admit(document, context)
            if isinstance(admitted, HttpAnswer):
                return admitted
            message, context = admitted.message, admitted.context
        ven_id = getattr(message, "ven_id", None)
        ven_id_var.set(ven_id)
        if message.message_type not in route.message_types:
            return oadr_error(
                200, ResponseCode.BAD_REQUEST, f"{message.message_type} does not belong to {service}", ven_id
            )
        if isinstance(message, Poll):
            return await self._poll(message, context)
        return await self._ask_service(route, VenRequest(message=message, context=context), ven_id)

    async def _poll(self, poll: Poll, context: RequestContext) -> HttpAnswer:
        cached = self._poll_answers.lookup(poll.ven_id)
        if cached is not None and cached.handout_id is not None:
            return await self._hand_out(poll.ven_id, cached.body, cached.handout_id)
        if cached is not None:
            if cached.success:
                self._sightings.saw(poll.ven_id, time.time())
            return HttpAnswer(200, cached.body)
        ticket = self._poll_answers.ticket()
        reply = await self._request(topics.POLL_REQUESTS, VenRequest(message=poll, context=context), poll.ven_id)
        if isinstance(reply, HttpAnswer):
            return reply
        body = encode(reply.message)
        success = not is_error(reply.message)
        if success:
            self._sightings.saw(poll.ven_id, time.time())
        if reply.pending_id is not None:
            self._poll_answers.note_delivered(poll.ven_id, reply.pending_id)
        if reply.cacheable:
            self._poll_answers.store(poll.ven_id, body, success, ticket)
        if reply.pending_id is None:
            return HttpAnswer(200, body)
        return HttpAnswer(200, body, carries=CarriedPending(poll.ven_id, reply.pending_id))

    async def _hand_out(self, ven_id: str, body: bytes, pending_id: int) -> HttpAnswer:
        """Answer with the pending message a notice offered, once Kafka holds the record that it was given."""
        if self._handouts is None:
            return service_unavailable("this gateway cannot hand out pending messages; retry later")
        try:
            async with asyncio.timeout(self._timeout):
                await self._handouts.report(ven_id, pending_id)
        except (BusUnavailable, TimeoutError):
            log.warning("could not record a handout", extra={"action": "handout_unrecorded", "pending_id": pending_id})
            return service_unavailable("the VTN's message bus is unavailable; retry later")
        self._poll_answers.settle_handout(ven_id, pending_id, encode(nothing_pending(ven_id)))
        self._sightings.saw(ven_id, time.time())
        return HttpAnswer(200, body, carries=CarriedPending(ven_id, pending_id))

    async def _ask_service(self, route: Route, request: VenRequest, ven_id: str | None) -> HttpAnswer:
        reply = await self._request(route.topic, request, ven_id)
        if isinstance(reply, HttpAnswer):
            return reply
        if ven_id is not None and not is_error(reply.message):
            self._sightings.saw(ven_id, time.time())
        return message_answer(reply.message)

    async def _request(self, topic: str, request: VenRequest, ven_id: str | None) -> VenReply | HttpAnswer:
        envelope = Envelope(ven_id=ven_id, payload=request)
        correlation_id_var.set(envelope.correlation_id)
        try:
            reply = await self._requester.request(topic, envelope, self._timeout)
        except ReplyTimeout:
            log.warning("service did not answer in time", extra={"action": "reply_timeout", "topic": topic})
            return service_unavailable("the VTN could not process the request in time; retry later")
        except BusUnavailable:
            log.warning("bus unavailable", extra={"action": "bus_unavailable", "topic": topic})
            return service_unavailable("the VTN's message bus is unavailable; retry later")
        if not isinstance(reply.payload, VenReply):
            log.error("unexpected reply", extra={"action": "reply_unexpected", "type": reply.type})
            return service_unavailable("the VTN gave an unexpected internal answer; retry later")
        return reply.payload

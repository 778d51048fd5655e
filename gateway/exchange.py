"""One OpenADR 2.0b exchange: body in, answer out. Independent of the web framework, so it is tested directly.

    body -> decode (hardened parse, XSD) -> route check -> [poll cache] -> service over Kafka -> render

(2.0a's endpoint has its own: gateway.profile_a_exchange.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from gateway.answers import CarriedPending, HttpAnswer, is_error, message_answer, oadr_error, refused_document
from gateway.handouts import HandoutReporter
from gateway.poll_answers import PollAnswerCache
from gateway.refusals import DOCUMENT_REFUSALS, refusal_log
from gateway.routing import ROUTES_BY_SERVICE, Route
from gateway.security.message_security import Admitted, MessageSecurity
from gateway.service_link import Requester as Requester  # the admin routers name it from here
from gateway.service_link import ServiceLink
from gateway.sightings import SightingBatcher
from gateway.waiting_polls import WaitingPolls, default_limit
from shared import topics
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.logs import ven_id_var
from shared.oadr.answers import nothing_pending
from shared.oadr.common import ResponseCode
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import Poll
from shared.oadr_xml.codec import InboundDocument, decode, encode
from shared.oadr_xml.errors import OadrXmlError
from shared.throttled_log import ThrottledLog

Decode = Callable[[bytes, etree.XMLSchema], InboundDocument]


@dataclass(frozen=True)
class ExchangeSettings:
    reply_timeout_seconds: float
    # shared by the exchanges of one gateway (VTN_MAX_WAITING_POLLS)
    waiting_polls: WaitingPolls = field(default_factory=lambda: WaitingPolls(default_limit()))


class ExchangeParts:
    """What the exchange of either profile is made of: the schema of its documents, the cache of poll (and
    2.0a pull) answers, the sightings, the security checks and the link to the services."""

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
        self._schema = schema
        self._poll_answers = poll_answers
        self._sightings = sightings
        self._security = security
        self._link = ServiceLink(requester, settings.reply_timeout_seconds, handouts, settings.waiting_polls)
        self._refusals = refusals or refusal_log()

    async def _admitted(self, body: bytes, context: RequestContext, decode: Decode) -> Admitted | HttpAnswer:
        """The message of `body` (decoded in the context's profile) and its context as the security checks
        let them through; or the answer refusing the document. The venID is bound for the logs."""
        try:
            document = decode(body, self._schema)
        except OadrXmlError as error:
            answer = refused_document(error, context.profile)
            reason = type(error).__name__
            DOCUMENT_REFUSALS.labels(reason).inc()
            self._refusals.info("document_refused", reason, "document refused", detail=str(error)[:300])
            return answer
        admitted = Admitted(document.message, context)
        if self._security is not None:
            checked = await self._security.admit(document, context)
            if isinstance(checked, HttpAnswer):
                return checked
            admitted = checked
        ven_id_var.set(getattr(admitted.message, "ven_id", None))
        return admitted


class OadrExchange(ExchangeParts):
    async def handle(self, service: str, body: bytes, context: RequestContext) -> HttpAnswer:
        answer = await self._answer(service, body, context)
        return self._security.seal(answer) if self._security is not None else answer

    async def _answer(self, service: str, body: bytes, context: RequestContext) -> HttpAnswer:
        route = ROUTES_BY_SERVICE.get(service)
        if route is None:
            return oadr_error(404, ResponseCode.BAD_REQUEST, f"no OpenADR service {service!r} here")
        admitted = await self._admitted(body, context, decode)
        if isinstance(admitted, HttpAnswer):
            return admitted
        message, context = admitted.message, admitted.context
        ven_id = getattr(message, "ven_id", None)
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

        def store_late(late: VenReply) -> None:
            """An answer after the reply timeout (the VEN was answered 503): cached all the same when it may be,
            so that the VEN's next poll is not forwarded too (a service running behind catches up)."""
            if late.cacheable:
                self._poll_answers.store(poll.ven_id, encode(late.message), not is_error(late.message), ticket)

        request = VenRequest(message=poll, context=context)
        reply = await self._link.ask(topics.POLL_REQUESTS, request, poll.ven_id, on_late=store_late, is_poll=True)
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
        refused = await self._link.record_handout(ven_id, pending_id, OadrProfile.B)
        if refused is not None:
            return refused
        self._poll_answers.settle_handout(ven_id, pending_id, encode(nothing_pending(ven_id)))
        self._sightings.saw(ven_id, time.time())
        return HttpAnswer(200, body, carries=CarriedPending(ven_id, pending_id))

    async def _ask_service(self, route: Route, request: VenRequest, ven_id: str | None) -> HttpAnswer:
        reply = await self._link.ask(route.topic, request, ven_id)
        if isinstance(reply, HttpAnswer):
            return reply
        if ven_id is not None and not is_error(reply.message):
            self._sightings.saw(ven_id, time.time())
        return message_answer(reply.message)

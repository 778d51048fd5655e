"""One OpenADR 2.0a exchange at /OpenADR2/Simple/EiEvent: a 2.0a document in, a 2.0a answer out.

    body -> decode (hardened parse, 2.0a XSD) -> [client certificate, venID bound to it]
         -> oadrRequestEvent: [the VEN's cached set, or its new set from a notice] -> event_svc -> its set
            oadrCreatedEvent: event_svc -> oadrResponse

2.0a has no oadrPoll: a 2.0a VEN pulls its events with oadrRequestEvent, and every answer is its whole set.
Event sets are queued for a 2.0a VEN as for any other (shared.db.pending); a notice offering its new set as a
handout makes that set the answer to its next oadrRequestEvent, recorded as delivered exactly as a 2.0b
VEN's poll takes it (so the answers it awaits, and their resends, work the same). Afterwards the same set
answers each of its oadrRequestEvents from this gateway's memory until the next notice for the VEN. Without
a cached set the request goes to event_svc, which answers with the set as of now and counts a queued copy
of it as delivered. The request's profile (2.0a) travels with it: a venID of a 2.0b VEN is refused here.
"""

from __future__ import annotations

import time

from gateway.answers import CarriedPending, HttpAnswer, is_error, message_answer, oadr_error
from gateway.exchange import ExchangeParts
from gateway.profile_a_sets import set_answer_for
from gateway.routing import PROFILE_A_ROUTE
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.oadr.common import ResponseCode
from shared.oadr.event import DistributeEvent, RequestEvent
from shared.oadr.profiles import OadrProfile
from shared.oadr_xml.profile_a.codec import decode
from shared.oadr_xml.profile_a.set_answers import SetAnswer

A = OadrProfile.A


class ProfileAExchange(ExchangeParts):
    async def handle(self, body: bytes, context: RequestContext) -> HttpAnswer:
        context = context.model_copy(update={"profile": A})
        admitted = await self._admitted(body, context, decode)
        if isinstance(admitted, HttpAnswer):
            return admitted
        message, context = admitted.message, admitted.context
        ven_id = getattr(message, "ven_id", None)
        if message.message_type not in PROFILE_A_ROUTE.message_types:  # the 2.0a schema admits no other
            return oadr_error(200, ResponseCode.BAD_REQUEST, f"{message.message_type} is not a 2.0a request", None, A)
        if isinstance(message, RequestEvent):
            return await self._pull(message, context)
        reply = await self._link.ask(PROFILE_A_ROUTE.topic, VenRequest(message=message, context=context), ven_id)
        if isinstance(reply, HttpAnswer):
            return reply
        if ven_id is not None and not is_error(reply.message):
            self._sightings.saw(ven_id, time.time())
        return message_answer(reply.message, A)

    async def _pull(self, message: RequestEvent, context: RequestContext) -> HttpAnswer:
        ven_id = message.ven_id
        cached = self._poll_answers.lookup_set(ven_id)
        if cached is not None and isinstance(cached.content, SetAnswer) and cached.content.fits(message.reply_limit):
            return await self._answer_from_memory(message, cached.content, cached.handout_id)
        ticket = self._poll_answers.ticket()

        def store_late(late: VenReply) -> None:
            """A set after the reply timeout (the VEN was answered 503): cached all the same when it may be."""
            if late.cacheable and isinstance(late.message, DistributeEvent) and not is_error(late.message):
                self._poll_answers.store(ven_id, set_answer_for(ven_id, late.message), True, ticket)

        request = VenRequest(message=message, context=context)
        reply = await self._link.ask(PROFILE_A_ROUTE.topic, request, ven_id, on_late=store_late, is_poll=True)
        if isinstance(reply, HttpAnswer):
            return reply
        if is_error(reply.message) or not isinstance(reply.message, DistributeEvent):
            return message_answer(reply.message, A)
        answer = set_answer_for(ven_id, reply.message)
        if reply.cacheable:
            self._poll_answers.store(ven_id, answer, True, ticket)
        self._sightings.saw(ven_id, time.time())
        return HttpAnswer(200, answer.answering(message.request_id))

    async def _answer_from_memory(self, message: RequestEvent, answer: SetAnswer, handout_id: int | None) -> HttpAnswer:
        """The VEN's set from this gateway's memory: a handout is recorded as delivered first."""
        ven_id = message.ven_id
        carries = None
        if handout_id is not None:
            refused = await self._link.record_handout(ven_id, handout_id, A)
            if refused is not None:
                return refused
            self._poll_answers.settle_handout(ven_id, handout_id, answer)
            carries = CarriedPending(ven_id, handout_id)
        self._sightings.saw(ven_id, time.time())
        return HttpAnswer(200, answer.answering(message.request_id), carries=carries)

"""Hands a push VEN's answer to the service that owns it, exactly as the gateway hands a VEN's request.

The answer travels as a `VenRequest` on the service's request topic (with the context the push established:
the VEN's certificate fingerprint, whether the answer was signed) and the pusher waits for the service's
reply: a message counts as delivered only once its answer is handled. The envelope's message id is derived
from the pending message (`push-answer-<id>`), so an answer handed again (the reply was late, or a new owner
pushed the message again after a crash) meets the service's inbox and changes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from gateway.push.backoff import Backoff
from gateway.push.deliverer import VenAnswer
from gateway.push.metrics import HANDOVER_RETRIES
from gateway.routing import ROUTES_BY_SERVICE
from shared.bus.errors import BusUnavailable, ReplyTimeout
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.oadr.messages import VtnMessage

log = logging.getLogger(__name__)


class Requester(Protocol):
    async def request(self, topic: str, envelope: Envelope, timeout: float) -> Envelope: ...


def handover_id(pending_id: int) -> str:
    return f"push-answer-{pending_id}"


class AnswerHandover:
    def __init__(self, requester: Requester, reply_timeout: float, backoff: Backoff) -> None:
        self._requester = requester
        self._timeout = reply_timeout
        self._backoff = backoff

    async def hand_over(self, service: str, pending_id: int, ven_id: str, answer: VenAnswer) -> VtnMessage | None:
        """The service's reply to the answer (None if it gave none), after as many attempts as it takes."""
        route = ROUTES_BY_SERVICE[service]
        envelope = Envelope(
            message_id=handover_id(pending_id),
            ven_id=ven_id,
            payload=VenRequest(message=answer.message, context=answer.context),
        )
        attempt = 0
        while True:
            try:
                reply = await self._requester.request(route.topic, envelope, self._timeout)
            except (ReplyTimeout, BusUnavailable) as error:
                attempt += 1
                HANDOVER_RETRIES.inc()
                log.warning(
                    "answer not handled yet, handing it over again",
                    extra={"action": "push_handover_retry", "pending_id": pending_id, "error": repr(error)},
                )
                await asyncio.sleep(self._backoff.delay(attempt))
                continue
            return reply.payload.message if isinstance(reply.payload, VenReply) else None

"""Asking a service for one VEN request over Kafka, and recording a handout, for every OpenADR endpoint: the
failures are answered the same way in either profile (HTTP 503 with Retry-After, an OpenADR 503 inside), and
so is a poll beyond the gateway's bound on forwarded polls waiting on Kafka (gateway.waiting_polls)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from gateway.answers import HttpAnswer, service_unavailable
from gateway.handouts import HandoutReporter
from gateway.waiting_polls import WaitingPolls
from shared.bus.errors import BusUnavailable, ReplyTimeout
from shared.bus.request_reply import LateReplyHandler
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.logs import correlation_id_var
from shared.oadr.profiles import OadrProfile

log = logging.getLogger(__name__)


class Requester(Protocol):
    async def request(
        self,
        topic: str,
        envelope: Envelope,
        timeout: float,
        on_late: LateReplyHandler | None = None,
        keep_sending: bool = False,
    ) -> Envelope: ...


LateVenReply = Callable[[VenReply], None]


class ServiceLink:
    def __init__(
        self,
        requester: Requester,
        timeout_seconds: float,
        handouts: HandoutReporter | None,
        waiting_polls: WaitingPolls,
    ) -> None:
        self._requester = requester
        self._timeout = timeout_seconds
        self._handouts = handouts
        self._waiting_polls = waiting_polls

    async def ask(
        self,
        topic: str,
        request: VenRequest,
        ven_id: str | None,
        on_late: LateVenReply | None = None,
        is_poll: bool = False,
    ) -> VenReply | HttpAnswer:
        """The service's reply, or the answer that says why there is none (in the request's profile). A reply
        that comes only after the VEN was answered 503 goes to `on_late`, if given. A poll counts against the
        bound on waiting polls, and one not yet on Kafka by the reply timeout is not sent (the VEN polls again).
        Any other request is sent all the same: a VEN does not always repeat one it was answered 503 for (an
        OpenLEADR VEN never repeats its oadrCreatedEvent), and the service handles a repeat idempotently."""
        profile = request.context.profile
        if is_poll and not self._waiting_polls.enter():
            return too_busy(profile)
        envelope = Envelope(ven_id=ven_id, payload=request)
        correlation_id_var.set(envelope.correlation_id)
        try:
            reply = await self._requester.request(
                topic, envelope, self._timeout, _late_ven_reply(on_late), keep_sending=not is_poll
            )
        except ReplyTimeout:
            log.warning("service did not answer in time", extra={"action": "reply_timeout", "topic": topic})
            return service_unavailable("the VTN could not process the request in time; retry later", profile)
        except BusUnavailable:
            log.warning("bus unavailable", extra={"action": "bus_unavailable", "topic": topic})
            return service_unavailable("the VTN's message bus is unavailable; retry later", profile)
        finally:
            if is_poll:
                self._waiting_polls.leave()
        if not isinstance(reply.payload, VenReply):
            log.error("unexpected reply", extra={"action": "reply_unexpected", "type": reply.type})
            return service_unavailable("the VTN gave an unexpected internal answer; retry later", profile)
        return reply.payload

    async def record_handout(self, ven_id: str, pending_id: int, profile: OadrProfile) -> HttpAnswer | None:
        """Record (acknowledged by Kafka) that the VEN is being handed `pending_id`; None when recorded, else the
        answer to give instead, in the request's `profile` (the VEN asks again later)."""
        if self._handouts is None:
            return service_unavailable("this gateway cannot hand out pending messages; retry later", profile)
        try:
            async with asyncio.timeout(self._timeout):
                await self._handouts.report(ven_id, pending_id)
        except (BusUnavailable, TimeoutError):
            log.warning("could not record a handout", extra={"action": "handout_unrecorded", "pending_id": pending_id})
            return service_unavailable("the VTN's message bus is unavailable; retry later", profile)
        return None


def too_busy(profile: OadrProfile) -> HttpAnswer:
    return service_unavailable("the VTN is busy; retry later", profile)


def _late_ven_reply(on_late: LateVenReply | None) -> LateReplyHandler | None:
    if on_late is None:
        return None

    def hand_over(late: Envelope) -> None:
        if isinstance(late.payload, VenReply):
            on_late(late.payload)

    return hand_over

"""The gateway's exchange logic, with an in-memory bus."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr.messaging import create_message

from gateway.answers import CarriedPending
from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.poll_answers import PollAnswerCache
from gateway.waiting_polls import WaitingPolls
from shared import topics
from shared.bus.request_reply import LateReplyHandler
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel, RequestContext, VenReply, VenRequest
from shared.oadr.common import EiResponse
from shared.oadr.registration import (
    CreatedPartyRegistration,
    Profile,
    RequestReregistration,
    Response,
    Transport,
)
from tests.conftest import assert_valid
from tests.fakes import FakeRequester, RecordingBatcher

CONTEXT = RequestContext(remote_addr="127.0.0.1:1")


def empty_answer(ven_id: str) -> VenReply:
    return VenReply(message=Response(response=EiResponse(), ven_id=ven_id), cacheable=True)


def make_exchange(answer: Any, schema: etree.XMLSchema) -> tuple[OadrExchange, FakeRequester, RecordingBatcher]:
    requester = FakeRequester(answer)
    batcher = RecordingBatcher()
    exchange = OadrExchange(
        requester,
        schema,
        PollAnswerCache(60, 100),
        batcher,
        ExchangeSettings(reply_timeout_seconds=0.1),  # type: ignore[arg-type]
    )
    return exchange, requester, batcher


def response_code(body: bytes) -> str:
    return etree.fromstring(body).findtext(".//{*}responseCode")


async def test_poll_asks_the_service_once_then_answers_from_cache(official_schema: etree.XMLSchema) -> None:
    exchange, requester, batcher = make_exchange(lambda topic, env: empty_answer("ven1"), official_schema)
    body = create_message("oadrPoll", ven_id="ven1").encode()
    for _ in range(3):
        answer = await exchange.handle("OadrPoll", body, CONTEXT)
        assert answer.status == 200
        assert response_code(answer.body) == "200"
        assert_valid(official_schema, answer.body)
    assert [topic for topic, _ in requester.requests] == [topics.POLL_REQUESTS]
    assert batcher.seen == ["ven1", "ven1", "ven1"]


async def test_a_vens_answer_is_sent_to_kafka_even_past_the_timeout_and_a_poll_is_not(
    official_schema: etree.XMLSchema,
) -> None:
    """An OpenLEADR VEN answered 503 never repeats its oadrCreatedEvent: the gateway must not drop it unsent."""
    exchange, requester, _ = make_exchange(lambda topic, env: None, official_schema)
    created = create_message(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": "r1"},
        event_responses=[
            {
                "response_code": 200,
                "response_description": "OK",
                "request_id": "r1",
                "event_id": "e1",
                "modification_number": 0,
                "opt_type": "optIn",
            }
        ],
        ven_id="ven1",
    ).encode()
    for service, body in [("EiEvent", created), ("OadrPoll", create_message("oadrPoll", ven_id="ven1").encode())]:
        assert (await exchange.handle(service, body, CONTEXT)).status == 503
    assert [topic for topic, _ in requester.requests] == [topics.EVENT_REQUESTS, topics.POLL_REQUESTS]
    assert requester.kept_sending == [True, False]


async def test_a_pending_message_is_not_cached(official_schema: etree.XMLSchema) -> None:
    def answer(topic: str, envelope: Envelope) -> ContractModel:
        return VenReply(message=RequestReregistration(ven_id="ven1"))

    exchange, requester, _ = make_exchange(answer, official_schema)
    body = create_message("oadrPoll", ven_id="ven1").encode()
    for _ in range(2):
        answer_ = await exchange.handle("OadrPoll", body, CONTEXT)
        assert b"oadrRequestReregistration" in answer_.body
    assert len(requester.requests) == 2


async def test_an_answer_names_the_pending_message_it_carries(official_schema: etree.XMLSchema) -> None:
    replies = iter([VenReply(message=RequestReregistration(ven_id="ven1"), pending_id=7), empty_answer("ven1")])
    exchange, _, _ = make_exchange(lambda topic, envelope: next(replies), official_schema)
    body = create_message("oadrPoll", ven_id="ven1").encode()
    carrying = await exchange.handle("OadrPoll", body, CONTEXT)
    assert carrying.carries == CarriedPending("ven1", 7)
    assert (await exchange.handle("OadrPoll", body, CONTEXT)).carries is None


async def test_unknown_ven_poll_gets_an_openadr_error_and_no_sighting(official_schema: etree.XMLSchema) -> None:
    def answer(topic: str, envelope: Envelope) -> ContractModel:
        return VenReply(
            message=Response(
                response=EiResponse(response_code=452, response_description="unknown venID"), ven_id="nobody"
            ),
            cacheable=True,
        )

    exchange, _, batcher = make_exchange(answer, official_schema)
    answer_ = await exchange.handle("OadrPoll", create_message("oadrPoll", ven_id="nobody").encode(), CONTEXT)
    assert answer_.status == 200
    assert response_code(answer_.body) == "452"
    assert batcher.seen == []


async def test_registration_goes_to_the_registration_topic(official_schema: etree.XMLSchema) -> None:
    def answer(topic: str, envelope: Envelope) -> ContractModel:
        assert isinstance(envelope.payload, VenRequest)
        return VenReply(
            message=CreatedPartyRegistration(
                response=EiResponse(request_id="r1"),
                vtn_id="vtn",
                profiles=(Profile(profile_name="2.0b", transports=(Transport(transport_name="simpleHttp"),)),),
                requested_poll_freq=timedelta(seconds=10),
            )
        )

    exchange, requester, _ = make_exchange(answer, official_schema)
    answer_ = await exchange.handle(
        "EiRegisterParty", create_message("oadrQueryRegistration", request_id="r1").encode(), CONTEXT
    )
    assert answer_.status == 200
    assert_valid(official_schema, answer_.body)
    assert requester.requests[0][0] == topics.REGISTRATION_REQUESTS


async def test_a_silent_service_gives_503_not_a_hang(official_schema: etree.XMLSchema) -> None:
    exchange, _, _ = make_exchange(lambda topic, env: None, official_schema)
    answer = await exchange.handle("OadrPoll", create_message("oadrPoll", ven_id="ven1").encode(), CONTEXT)
    assert answer.status == 503
    assert answer.headers.get("Retry-After")
    assert response_code(answer.body) == "503"
    assert_valid(official_schema, answer.body)


class LateService:
    """Answers no poll in time; its replies come later, when the test says."""

    def __init__(self, reply: VenReply) -> None:
        self.reply = reply
        self.timely = False

    def __call__(self, topic: str, envelope: Envelope) -> ContractModel | None:
        return self.reply if self.timely else None


async def test_a_late_nothing_pending_answer_is_cached_for_the_next_poll(official_schema: etree.XMLSchema) -> None:
    """Otherwise a service running behind the reply timeout gets every VEN's next poll too, and never catches up."""
    service = LateService(empty_answer("ven1"))
    exchange, requester, _ = make_exchange(service, official_schema)
    body = create_message("oadrPoll", ven_id="ven1").encode()
    assert (await exchange.handle("OadrPoll", body, CONTEXT)).status == 503
    requester.reply_late(requester.requests[0][1], service.reply)
    answer = await exchange.handle("OadrPoll", body, CONTEXT)
    assert answer.status == 200 and response_code(answer.body) == "200"
    assert_valid(official_schema, answer.body)
    assert len(requester.requests) == 1


async def test_a_late_answer_is_not_cached_after_a_notice_or_with_a_message(
    official_schema: etree.XMLSchema,
) -> None:
    service = LateService(empty_answer("ven1"))
    cache = PollAnswerCache(60, 100)
    requester = FakeRequester(service)
    exchange = OadrExchange(
        requester,
        official_schema,
        cache,
        RecordingBatcher(),
        ExchangeSettings(reply_timeout_seconds=0.1),  # type: ignore[arg-type]
    )
    body = create_message("oadrPoll", ven_id="ven1").encode()
    await exchange.handle("OadrPoll", body, CONTEXT)
    cache.invalidate("ven1")  # a change the late answer may not have seen
    requester.reply_late(requester.requests[-1][1], service.reply)
    await exchange.handle("OadrPoll", body, CONTEXT)
    requester.reply_late(
        requester.requests[-1][1], VenReply(message=RequestReregistration(ven_id="ven1"), pending_id=3)
    )
    service.timely = True
    await exchange.handle("OadrPoll", body, CONTEXT)
    assert len(requester.requests) == 3


class HeldService:
    """Replies to a request only once the test lets it."""

    def __init__(self) -> None:
        self.asked = 0
        self.let_go = asyncio.Event()

    async def request(
        self,
        topic: str,
        envelope: Envelope,
        timeout: float,
        on_late: LateReplyHandler | None = None,
        keep_sending: bool = False,
    ) -> Envelope:
        self.asked += 1
        await self.let_go.wait()
        return envelope.reply(empty_answer(envelope.ven_id or "ven"))


async def test_beyond_the_bound_on_waiting_polls_a_poll_is_refused_at_once_and_other_requests_are_not(
    official_schema: etree.XMLSchema,
) -> None:
    """An overload must not queue more polls on Kafka than it drains (gateway.waiting_polls)."""
    service = HeldService()
    settings = ExchangeSettings(reply_timeout_seconds=5, waiting_polls=WaitingPolls(1))
    exchange = OadrExchange(service, official_schema, PollAnswerCache(60, 100), RecordingBatcher(), settings)  # type: ignore[arg-type]
    first = asyncio.create_task(exchange.handle("OadrPoll", create_message("oadrPoll", ven_id="a").encode(), CONTEXT))
    await asyncio.sleep(0.01)
    refused = await exchange.handle("OadrPoll", create_message("oadrPoll", ven_id="b").encode(), CONTEXT)
    assert refused.status == 503 and refused.headers.get("Retry-After")
    assert response_code(refused.body) == "503"
    assert_valid(official_schema, refused.body)
    assert service.asked == 1
    registration = asyncio.create_task(
        exchange.handle("EiRegisterParty", create_message("oadrQueryRegistration", request_id="r1").encode(), CONTEXT)
    )
    await asyncio.sleep(0.01)
    assert service.asked == 2  # not a poll: sent all the same
    service.let_go.set()
    await registration
    assert (await first).status == 200
    admitted = await exchange.handle("OadrPoll", create_message("oadrPoll", ven_id="b").encode(), CONTEXT)
    assert admitted.status == 200 and service.asked == 3 and len(settings.waiting_polls) == 0


async def test_message_on_the_wrong_endpoint_is_refused(official_schema: etree.XMLSchema) -> None:
    exchange, requester, _ = make_exchange(lambda topic, env: empty_answer("ven1"), official_schema)
    answer = await exchange.handle("EiEvent", create_message("oadrPoll", ven_id="ven1").encode(), CONTEXT)
    assert answer.status == 200
    assert response_code(answer.body) == "400"
    assert requester.requests == []


@pytest.mark.parametrize("service", ["EiNothing", "oadrPoll"])
async def test_unknown_service_is_404(service: str, official_schema: etree.XMLSchema) -> None:
    exchange, _, _ = make_exchange(lambda topic, env: empty_answer("ven1"), official_schema)
    answer = await exchange.handle(service, create_message("oadrPoll", ven_id="ven1").encode(), CONTEXT)
    assert answer.status == 404

"""The 2.0a endpoint (/OpenADR2/Simple/EiEvent) with an in-memory bus and a 2.0a VEN written from the 2.0a
schema: its requests reach event_svc as the same messages a 2.0b VEN's do, marked 2.0a; its pulls are answered
with its whole set in 2.0a, from memory once known, a notice's new set recorded as delivered first; every
answer is a valid 2.0a document; documents of the other profile get a clear error at either endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen import profile_a_messages as ven_messages
from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.handouts import HandoutReporter
from gateway.oadr_http import create_oadr_app
from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_exchange import ProfileAExchange
from gateway.profile_a_sets import push_document
from gateway.ven_changes import VenChangesListener
from shared import topics
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import (
    ContractModel,
    EventSetHandouts,
    PendingDelivered,
    PendingHandout,
    SetRecipient,
    VenChanged,
    VenReply,
    VenRequest,
)
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.event import ActivePeriod, DistributeEvent, Event, EventDescriptor, EventStatus, RequestEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.profiles import OadrProfile
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.oadr_xml.profile_a.codec import decode_push_answer
from tests.conftest import assert_valid
from tests.fakes import FakePublisher, FakeRequester, RecordingBatcher
from tests.profile_a_ven import ProfileAVen, assert_valid_2_0a, profile_a_schema

START = datetime(2030, 1, 1, 12, tzinfo=UTC)
Answer = Callable[[str, Envelope], ContractModel | None]


def an_event(event_id: str, signal_name: str = SignalName.SIMPLE, signal_type: SignalType = SignalType.LEVEL) -> Event:
    return Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=0,
            market_context="http://m",
            created_date_time=START,
            event_status=EventStatus.FAR,
        ),
        active_period=ActivePeriod(dtstart=START, duration=timedelta(hours=1)),
        signals=(
            EventSignal(
                signal_name=signal_name,
                signal_type=signal_type,
                signal_id="s",
                intervals=(Interval(duration=timedelta(hours=1), payload=2),),
            ),
        ),
        targets=Target(ven_ids=("ven-a",)),
    )


def the_set(request: VenRequest, *events: Event, cacheable: bool = True) -> VenReply:
    """What event_svc answers an oadrRequestEvent with."""
    message = request.message
    assert isinstance(message, RequestEvent)
    return VenReply(
        message=DistributeEvent(
            response=answers.ok(message.request_id), request_id=message.request_id, vtn_id="vtn", events=events
        ),
        cacheable=cacheable,
    )


@dataclass
class Door:
    http: httpx.AsyncClient
    requester: FakeRequester
    publisher: FakePublisher
    listener: VenChangesListener
    answer: list[Answer]

    def ven(self, ven_id: str = "ven-a") -> ProfileAVen:
        return ProfileAVen(self.http, ven_id)

    def notice(self, ven_id: str, pending_id: int, message: DistributeEvent, profile: OadrProfile) -> None:
        handout = PendingHandout(pending_id=pending_id, message=message, profile=profile)
        envelope = Envelope(ven_id=ven_id, payload=VenChanged(ven_id=ven_id, reason="test", handout=handout))
        self.listener._apply(envelope.to_bytes())  # noqa: SLF001 - what the Kafka loop does with each record


@pytest.fixture
async def door(official_schema: etree.XMLSchema) -> AsyncIterator[Door]:
    cache = PollAnswerCache(60, 100)
    answer: list[Answer] = [lambda topic, envelope: None]
    requester = FakeRequester(lambda topic, envelope: answer[0](topic, envelope))
    publisher = FakePublisher()
    settings = ExchangeSettings(0.2)
    batcher = RecordingBatcher()
    exchange = OadrExchange(requester, official_schema, cache, batcher, settings, None, HandoutReporter(publisher))  # type: ignore[arg-type]
    profile_a = ProfileAExchange(
        requester, profile_a_schema(), cache, batcher, settings, None, HandoutReporter(publisher)
    )  # type: ignore[arg-type]
    app = create_oadr_app(exchange, 64 * 1024, profile_a=profile_a)
    listener = VenChangesListener(KafkaConnection("unused:9092"), cache)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://vtn") as http:
        yield Door(http, requester, publisher, listener, answer)


async def test_a_pull_reaches_event_svc_as_a_2_0a_request_and_gets_the_whole_set_in_2_0a(door: Door) -> None:
    door.answer[0] = lambda topic, envelope: the_set(envelope.payload, an_event("e1"))  # type: ignore[arg-type]
    seen = await door.ven().request_events()
    [(topic, envelope)] = door.requester.requests
    request = envelope.payload
    assert topic == topics.EVENT_REQUESTS and isinstance(request, VenRequest)
    assert isinstance(request.message, RequestEvent) and request.message.ven_id == "ven-a"
    assert request.context.profile is OadrProfile.A
    assert (seen.message_type, seen.response_code) == ("oadrDistributeEvent", 200)
    assert [(e.event_id, e.signals[0].name) for e in seen.events] == [("e1", "simple")]


async def test_a_known_set_answers_the_next_pulls_from_memory_each_with_its_own_request_id(door: Door) -> None:
    door.answer[0] = lambda topic, envelope: the_set(envelope.payload, an_event("e1"))  # type: ignore[arg-type]
    ven = door.ven()
    await ven.request_events()
    for request_id in ("second", "third & <last>"):
        status, seen = await ven.post(ven_messages.request_event("ven-a", request_id))
        assert status == 200 and seen.response_request_id == request_id
        assert [e.event_id for e in seen.events] == ["e1"]
    assert len(door.requester.requests) == 1


async def test_an_answer_that_is_not_a_whole_set_is_asked_for_again(door: Door) -> None:
    door.answer[0] = lambda topic, envelope: the_set(envelope.payload, an_event("e1"), cacheable=False)  # type: ignore[arg-type]
    ven = door.ven()
    await ven.request_events()
    await ven.request_events()
    assert len(door.requester.requests) == 2


async def test_a_notice_s_new_set_is_recorded_as_delivered_once_then_answers_each_pull(door: Door) -> None:
    door.notice("ven-a", 7, DistributeEvent(request_id="set-7", vtn_id="vtn", events=(an_event("e2"),)), OadrProfile.A)
    ven = door.ven()
    first = await ven.request_events()
    assert (first.request_id, [e.event_id for e in first.events]) == ("set-7", ["e2"])
    [(topic, envelope)] = door.publisher.published
    assert topic == topics.POLL_REQUESTS
    assert isinstance(envelope.payload, PendingDelivered) and envelope.payload.pending_id == 7
    again = await ven.request_events()
    assert (again.request_id, [e.event_id for e in again.events]) == ("set-7", ["e2"])
    assert len(door.publisher.published) == 1 and door.requester.requests == []


async def test_a_shared_set_s_handouts_give_each_recipient_its_copy_in_its_own_profile(
    door: Door, official_schema: etree.XMLSchema
) -> None:
    """One shared set (one stored body, one notice) for a 2.0a and a 2.0b VEN: the 2.0a VEN's pull gets its copy
    in 2.0a, the 2.0b VEN's poll its copy in 2.0b, each naming its own venID and recorded as delivered."""
    shared = SharedEventSet("vtn", (an_event("e3"),))
    recipients = (
        SetRecipient(ven_id="ven-a", pending_id=11, request_id="copy-a", profile=OadrProfile.A),
        SetRecipient(ven_id="ven-b", pending_id=12, request_id="copy-b"),
    )
    handouts = EventSetHandouts(set_id=shared.set_id, vtn_id="vtn", events=shared.events, recipients=recipients)
    door.listener._apply(Envelope(ven_id="ven-a", payload=handouts).to_bytes())  # noqa: SLF001
    pulled = await door.ven().request_events()
    assert (pulled.request_id, [e.event_id for e in pulled.events]) == ("copy-a", ["e3"])
    assert pulled.events[0].target_ven_ids == ("ven-a",)
    polled = await door.http.post(
        "/OpenADR2/Simple/2.0b/OadrPoll", content=create_message("oadrPoll", ven_id="ven-b").encode()
    )
    assert_valid(official_schema, polled.content)
    assert (
        b"<pyld:requestID>copy-b</pyld:requestID>" in polled.content and b"<ei:venID>ven-b</ei:venID>" in polled.content
    )
    delivered = [(e.payload.ven_id, e.payload.pending_id) for _, e in door.publisher.published]  # type: ignore[union-attr]
    assert sorted(delivered) == [("ven-a", 11), ("ven-b", 12)] and door.requester.requests == []


async def test_a_new_set_that_cannot_be_recorded_is_not_given(door: Door) -> None:
    door.notice("ven-a", 7, DistributeEvent(request_id="set-7", vtn_id="vtn", events=(an_event("e2"),)), OadrProfile.A)
    door.publisher.failing = True
    status, seen = await door.ven().post(ven_messages.request_event("ven-a", "r"))
    assert (status, seen.message_type, seen.response_code) == (503, "oadrResponse", 503)


async def test_a_reply_limit_below_the_known_set_is_asked_of_event_svc(door: Door) -> None:
    door.notice(
        "ven-a",
        7,
        DistributeEvent(request_id="s", vtn_id="vtn", events=(an_event("e1"), an_event("e2"))),
        OadrProfile.A,
    )
    door.answer[0] = lambda topic, envelope: the_set(envelope.payload, an_event("e1"), cacheable=False)  # type: ignore[arg-type]
    seen = await door.ven().request_events(reply_limit=1)
    assert [e.event_id for e in seen.events] == ["e1"]
    assert len(door.requester.requests) == 1 and door.publisher.published == []


async def test_a_2_0b_ven_s_handout_never_answers_a_2_0a_pull_nor_a_2_0a_set_a_2_0b_poll(door: Door) -> None:
    door.notice("ven-b", 3, DistributeEvent(request_id="set-3", vtn_id="vtn", events=(an_event("e1"),)), OadrProfile.B)
    door.answer[0] = lambda topic, envelope: VenReply(
        message=answers.response(
            ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "venID ven-b is an OpenADR 2.0b VEN", "ven-b"
        )
    )
    seen = await door.ven("ven-b").request_events()
    assert (seen.message_type, seen.response_code) == ("oadrResponse", 463)
    door.notice("ven-a", 4, DistributeEvent(request_id="set-4", vtn_id="vtn", events=(an_event("e1"),)), OadrProfile.A)
    poll = await door.http.post(
        "/OpenADR2/Simple/2.0b/OadrPoll", content=create_message("oadrPoll", ven_id="ven-a").encode()
    )
    assert b"<ei:responseCode>463</ei:responseCode>" in poll.content
    assert door.publisher.published == []  # neither was handed out


async def test_an_answer_is_forwarded_and_acknowledged_in_2_0a(door: Door) -> None:
    door.answer[0] = lambda topic, envelope: VenReply(message=answers.response(ResponseCode.OK, "OK", "ven-a", "r9"))
    seen = await door.ven().answer_event("e1", 0, "optIn", "r9")
    assert (seen.message_type, seen.response_code) == ("oadrResponse", 200)
    [(topic, envelope)] = door.requester.requests
    assert topic == topics.EVENT_REQUESTS and envelope.payload.context.profile is OadrProfile.A  # type: ignore[union-attr]


async def test_an_event_2_0a_cannot_carry_is_left_out_of_the_set(door: Door) -> None:
    priced = an_event("priced", SignalName.ELECTRICITY_PRICE, SignalType.PRICE)
    door.answer[0] = lambda topic, envelope: the_set(envelope.payload, an_event("e1"), priced)  # type: ignore[arg-type]
    seen = await door.ven().request_events()
    assert [e.event_id for e in seen.events] == ["e1"]


async def test_a_service_that_does_not_answer_gets_a_2_0a_503(door: Door) -> None:
    answer = await door.http.post("/OpenADR2/Simple/EiEvent", content=ven_messages.request_event("ven-a", "r"))
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert_valid_2_0a(answer.content)


async def test_a_2_0b_document_at_the_2_0a_endpoint_is_told_where_it_goes(door: Door) -> None:
    body = create_message("oadrRequestEvent", request_id="r", ven_id="ven-a").encode()
    answer = await door.http.post("/OpenADR2/Simple/EiEvent", content=body)
    assert answer.status_code == 400
    assert_valid_2_0a(answer.content)
    assert b"2.0b VENs send to /OpenADR2/Simple/2.0b/" in answer.content
    assert door.requester.requests == []


async def test_a_2_0a_document_at_a_2_0b_endpoint_is_told_where_it_goes(
    door: Door, official_schema: etree.XMLSchema
) -> None:
    answer = await door.http.post("/OpenADR2/Simple/2.0b/EiEvent", content=ven_messages.request_event("ven-a", "r"))
    assert answer.status_code == 400
    assert_valid(official_schema, answer.content)
    assert b"2.0a VENs send to /OpenADR2/Simple/EiEvent" in answer.content
    assert door.requester.requests == []


async def test_a_schema_invalid_2_0a_document_gets_an_openadr_400_in_2_0a(door: Door) -> None:
    body = ven_messages.request_event("ven-a", "r").replace(b"<ei:venID>ven-a</ei:venID>", b"")
    status, seen = await door.ven().post(body)
    assert (status, seen.response_code) == (200, 400)
    assert "2.0a schema" in (seen.description or "")


async def test_the_2_0a_endpoint_takes_post_only(door: Door) -> None:
    answer = await door.http.get("/OpenADR2/Simple/EiEvent")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert_valid_2_0a(answer.content)


def test_the_document_pushed_to_a_2_0a_ven_is_its_set_in_2_0a_under_the_request_id_given() -> None:
    """What a push connector posts to a 2.0a VEN (gateway.profile_a_sets.push_document): its queued set, with the
    events 2.0a cannot carry left out, and the VEN's oadrResponse to it is read by the 2.0a codec."""
    priced = an_event("priced", SignalName.ELECTRICITY_PRICE, SignalType.PRICE)
    queued = DistributeEvent(request_id="set-9", vtn_id="vtn", events=(an_event("e1"), priced))
    document = push_document("ven-a", queued, request_id="push-1")
    assert_valid_2_0a(document)
    seen = ven_messages.read_answer(document)
    assert (seen.response_code, seen.request_id, [e.event_id for e in seen.events]) == (None, "push-1", ["e1"])
    answer = decode_push_answer(ven_messages.response(200, "push-1"), profile_a_schema())
    assert (answer.response.response_code, answer.response.request_id) == (200, "push-1")

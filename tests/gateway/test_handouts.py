"""The fast path for a pending message a VenChanged notice offers: the gateway answers the VEN's poll with
it, records the handout on Kafka first, then answers "nothing pending" until the next notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree
from openleadr.messaging import create_message

from gateway.answers import CarriedPending
from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.handouts import HandoutReporter
from gateway.poll_answers import PollAnswerCache
from gateway.ven_changes import VenChangesListener
from shared import topics
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import (
    EventSetHandouts,
    PendingDelivered,
    PendingHandout,
    RequestContext,
    SetRecipient,
    VenChanged,
)
from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.target import Target
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid
from tests.event_svc.test_delivery import stored
from tests.fakes import FakePublisher, FakeRequester, RecordingBatcher

CONTEXT = RequestContext(remote_addr="127.0.0.1:1")
POLL = create_message("oadrPoll", ven_id="ven1").encode()


def notice(pending_id: int | None) -> bytes:
    handout = None
    if pending_id is not None:
        handout = PendingHandout(
            pending_id=pending_id, message=DistributeEvent(request_id=f"r{pending_id}", vtn_id="vtn")
        )
    return Envelope(ven_id="ven1", payload=VenChanged(ven_id="ven1", reason="test", handout=handout)).to_bytes()


def setup(publisher: FakePublisher, schema: etree.XMLSchema) -> tuple[OadrExchange, VenChangesListener, FakeRequester]:
    cache = PollAnswerCache(60, 100)
    requester = FakeRequester(lambda topic, envelope: None)
    exchange = OadrExchange(
        requester,
        schema,
        cache,
        RecordingBatcher(),
        ExchangeSettings(1.0),
        None,
        HandoutReporter(publisher),  # type: ignore[arg-type]
    )
    listener = VenChangesListener(KafkaConnection("unused:9092"), cache)
    return exchange, listener, requester


async def test_an_offered_handout_is_answered_once_then_nothing_pending(official_schema: etree.XMLSchema) -> None:
    publisher = FakePublisher()
    exchange, listener, requester = setup(publisher, official_schema)
    listener._apply(notice(7))  # noqa: SLF001 - what the Kafka loop does with each record
    first = await exchange.handle("OadrPoll", POLL, CONTEXT)
    assert first.status == 200 and b"oadrDistributeEvent" in first.body
    assert first.carries == CarriedPending("ven1", 7)  # given back if the VEN has gone when it is written
    assert_valid(official_schema, first.body)
    [(topic, envelope)] = publisher.published
    assert topic == topics.POLL_REQUESTS
    fact = envelope.payload
    assert isinstance(fact, PendingDelivered) and (fact.ven_id, fact.pending_id) == ("ven1", 7)
    assert abs(fact.delivered_at - datetime.now(UTC)) < timedelta(seconds=5)
    second = await exchange.handle("OadrPoll", POLL, CONTEXT)
    assert b"oadrResponse" in second.body and b"<ei:responseCode>200</ei:responseCode>" in second.body
    assert_valid(official_schema, second.body)
    assert requester.requests == [] and len(publisher.published) == 1


async def test_a_handout_that_cannot_be_recorded_is_not_given_and_stays_offered(
    official_schema: etree.XMLSchema,
) -> None:
    publisher = FakePublisher(failing=True)
    exchange, listener, _ = setup(publisher, official_schema)
    listener._apply(notice(7))  # noqa: SLF001
    refused = await exchange.handle("OadrPoll", POLL, CONTEXT)
    assert refused.status == 503
    publisher.failing = False
    given = await exchange.handle("OadrPoll", POLL, CONTEXT)
    assert b"oadrDistributeEvent" in given.body and len(publisher.published) == 1


async def test_a_later_notice_replaces_or_withdraws_the_offer() -> None:
    cache = PollAnswerCache(60, 100)
    listener = VenChangesListener(KafkaConnection("unused:9092"), cache)
    listener._apply(notice(7))  # noqa: SLF001
    listener._apply(notice(8))  # noqa: SLF001
    entry = cache.lookup("ven1")
    assert entry is not None and entry.handout_id == 8 and b"r8" in entry.body
    cache.settle_handout("ven1", 7, b"nothing")  # an older handout settling does not clobber the newer offer
    assert cache.lookup("ven1") == entry
    listener._apply(notice(None))  # noqa: SLF001
    assert cache.lookup("ven1") is None


def test_an_answer_asked_before_an_offer_does_not_replace_it() -> None:
    cache = PollAnswerCache(60, 100)
    ticket = cache.ticket()
    cache.offer_handout("ven1", b"<distribute/>", 3)
    assert not cache.store("ven1", b"nothing pending", True, ticket)
    entry = cache.lookup("ven1")
    assert entry is not None and entry.handout_id == 3


def test_an_offer_of_a_message_the_gateway_already_delivered_is_not_cached() -> None:
    """The notice can arrive after a poll forwarded to registration_svc already took the message."""
    cache = PollAnswerCache(60, 100)
    cache.note_delivered("ven1", 5)
    cache.offer_handout("ven1", b"<late/>", 5)
    assert cache.lookup("ven1") is None
    cache.offer_handout("ven1", b"<newer/>", 6)
    entry = cache.lookup("ven1")
    assert entry is not None and entry.handout_id == 6


def test_an_offer_that_arrives_while_a_service_hands_out_the_same_message_is_withdrawn() -> None:
    cache = PollAnswerCache(60, 100)
    cache.offer_handout("ven1", b"<distribute/>", 5)  # the notice overtook the forwarded poll's reply
    cache.note_delivered("ven1", 5)  # the reply: registration_svc gave the VEN message 5
    assert cache.lookup("ven1") is None


def test_an_offer_older_than_the_handout_cached_is_late_and_ignored() -> None:
    """A newer set replaced the older one, whose notice came late (it travelled on another partition)."""
    cache = PollAnswerCache(60, 100)
    cache.offer_handout("ven1", b"<newer/>", 9)
    cache.offer_handout("ven1", b"<older/>", 8)
    entry = cache.lookup("ven1")
    assert entry is not None and entry.handout_id == 9 and entry.body == b"<newer/>"


async def test_every_recipient_of_a_shared_set_gets_its_own_copy(official_schema: etree.XMLSchema) -> None:
    publisher = FakePublisher()
    exchange, listener, requester = setup(publisher, official_schema)
    shared = SharedEventSet("vtn", (stored("e1", targets=Target(resource_ids=("r1",))).event,))
    recipients = (
        SetRecipient(ven_id="ven1", pending_id=4, request_id="r-a"),
        SetRecipient(ven_id="ven2", pending_id=5, request_id="r-b"),
    )
    handouts = EventSetHandouts(set_id=shared.set_id, vtn_id="vtn", events=shared.events, recipients=recipients)
    listener._apply(Envelope(ven_id="ven1", payload=handouts).to_bytes())  # noqa: SLF001
    for recipient in recipients:
        poll = create_message("oadrPoll", ven_id=recipient.ven_id).encode()
        answer = await exchange.handle("OadrPoll", poll, CONTEXT)
        assert answer.body == encode(shared.message(recipient.ven_id, recipient.request_id))
        assert answer.carries == CarriedPending(recipient.ven_id, recipient.pending_id)
        assert_valid(official_schema, answer.body)
    assert [e.payload.pending_id for _, e in publisher.published] == [4, 5]  # type: ignore[union-attr]
    assert requester.requests == []

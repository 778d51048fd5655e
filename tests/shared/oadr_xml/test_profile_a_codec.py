"""The 2.0a codec: a 2.0a VEN's documents (written from the 2.0a schema, bench.loadgen.profile_a_messages)
become the same messages as their 2.0b forms, and every 2.0a document the VTN writes passes the official 2.0a
schema; documents of the other profile are refused with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen import profile_a_messages as ven
from shared.oadr.common import EiResponse
from shared.oadr.event import ActivePeriod, DistributeEvent, Event, EventDescriptor, EventStatus, ResponseRequired
from shared.oadr.registration import Response
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target
from shared.oadr_xml import codec as codec_2_0b
from shared.oadr_xml.errors import NotOpenAdr, SchemaViolation, UnsupportedMessage, WrongProfile
from shared.oadr_xml.profile_a import codec
from shared.oadr_xml.profile_a.set_answers import set_answer
from tests.profile_a_ven import assert_valid_2_0a, profile_a_schema

START = datetime(2030, 1, 1, 12, tzinfo=UTC)


def an_event(event_id: str = "e1", *signals: EventSignal, **extra: object) -> Event:
    return Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=3,
            market_context="http://market",
            created_date_time=START,
            event_status=EventStatus.ACTIVE,
            modification_date_time=START,
            modification_reason="moved",
            priority=2,
            test_event=True,
            vtn_comment="a & b",
        ),
        active_period=ActivePeriod(
            dtstart=START,
            duration=timedelta(hours=2),
            start_after=timedelta(minutes=5),
            x_ei_ramp_up=timedelta(minutes=10),
            x_ei_recovery=timedelta(minutes=15),
        ),
        signals=signals
        or (
            EventSignal(
                signal_name=SignalName.SIMPLE,
                signal_type=SignalType.LEVEL,
                signal_id="s",
                intervals=(
                    Interval(duration=timedelta(hours=1), payload=1),
                    Interval(duration=timedelta(hours=1), payload=3),
                ),
                current_value=1,
            ),
        ),
        targets=Target(ven_ids=("ven-a",), group_ids=("g1",), resource_ids=("r1",), party_ids=("p1",)),
        response_required=ResponseRequired.NEVER,
        **extra,  # type: ignore[arg-type]
    )


def test_oadr_request_event_decodes_to_the_message_its_2_0b_form_decodes_to() -> None:
    found = codec.decode(ven.request_event("ven-a", "r1", reply_limit=3), profile_a_schema()).message
    same = codec_2_0b.decode(
        create_message("oadrRequestEvent", request_id="r1", ven_id="ven-a", reply_limit=3).encode(), None
    )
    assert found == same.message


def test_oadr_created_event_decodes_to_the_message_its_2_0b_form_decodes_to() -> None:
    body = ven.created_event("ven-a", "r9", [ven.EventAnswer("e1", 2, "optOut", "r9")])
    found = codec.decode(body, profile_a_schema()).message
    same = codec_2_0b.decode(
        create_message(
            "oadrCreatedEvent",
            response={"response_code": 200, "response_description": "OK", "request_id": "r9"},
            event_responses=[
                {
                    "response_code": 200,
                    "response_description": "OK",
                    "request_id": "r9",
                    "event_id": "e1",
                    "modification_number": 2,
                    "opt_type": "optOut",
                }
            ],
            ven_id="ven-a",
        ).encode(),
        None,
    ).message
    assert isinstance(found, type(same))
    assert (found.ven_id, found.event_responses) == (same.ven_id, same.event_responses)  # type: ignore[union-attr]


def test_every_2_0a_document_the_vtn_writes_passes_the_2_0a_schema() -> None:
    price = EventSignal(
        signal_name=SignalName.ELECTRICITY_PRICE,
        signal_type=SignalType.PRICE,
        signal_id="p",
        intervals=(Interval(duration=timedelta(hours=2), payload=0.31),),
    )
    events = (an_event("e1"), an_event("e2"), an_event("priced", price))
    for document in (
        codec.encode(DistributeEvent(request_id="r", vtn_id="vtn", events=events)),
        codec.encode(DistributeEvent(request_id="r", vtn_id="vtn", events=(), response=EiResponse(request_id="x"))),
        codec.encode(
            Response(response=EiResponse(response_code=452, response_description="<no>", request_id=None), ven_id="v")
        ),
        set_answer(DistributeEvent(request_id="r", vtn_id="vtn", events=events)).answering("req & <id>"),
    ):
        assert_valid_2_0a(document)


def test_a_2_0a_ven_reads_its_events_as_the_2_0a_profile_has_them() -> None:
    price = EventSignal(
        signal_name=SignalName.ELECTRICITY_PRICE,
        signal_type=SignalType.PRICE,
        signal_id="p",
        intervals=(Interval(duration=timedelta(hours=2), payload=0.31),),
    )
    simple = an_event().signals[0]
    message = DistributeEvent(
        request_id="set-1", vtn_id="vtn", events=(an_event("e1", price, simple), an_event("only-price", price))
    )
    seen = ven.read_answer(set_answer(message).answering("req-7"))
    assert (seen.response_code, seen.response_request_id, seen.request_id) == (200, "req-7", "set-1")
    [event] = seen.events  # the event without a SIMPLE signal is left out
    assert (event.event_id, event.modification_number, event.status, event.response_required) == (
        "e1",
        3,
        "active",
        "never",
    )
    assert event.signals == (ven.SeenSignal("simple", "level", (1.0, 3.0), 1.0),)
    assert (event.target_ven_ids, event.target_group_ids) == (("ven-a",), ("g1",))
    assert set_answer(message).event_count == 1


def test_a_2_0a_response_has_no_ven_id() -> None:
    document = codec.encode(Response(response=EiResponse(), ven_id="ven-a"))
    assert b"venID" not in document
    assert ven.read_answer(document).response_code == 200


def test_a_2_0b_document_at_the_2_0a_codec_is_named_as_such() -> None:
    with pytest.raises(WrongProfile) as refused:
        codec.decode(create_message("oadrRequestEvent", request_id="r", ven_id="v").encode(), profile_a_schema())
    assert refused.value.found == "2.0b"


def test_a_2_0a_document_at_the_2_0b_codec_is_named_as_such() -> None:
    with pytest.raises(WrongProfile) as refused:
        codec_2_0b.decode(ven.request_event("v", "r"), None)
    assert refused.value.found == "2.0a"


def test_a_schema_invalid_2_0a_document_is_refused_against_the_2_0a_schema() -> None:
    body = ven.request_event("v", "r").replace(b"<ei:venID>v</ei:venID>", b"")
    with pytest.raises(SchemaViolation, match="OpenADR 2.0a schema"):
        codec.decode(body, profile_a_schema())


def test_a_message_a_2_0a_ven_does_not_send_the_vtn_is_unsupported() -> None:
    with pytest.raises(UnsupportedMessage):
        codec.decode(codec.encode(DistributeEvent(request_id="r", vtn_id="vtn")), profile_a_schema())


def test_a_foreign_document_is_not_openadr() -> None:
    with pytest.raises(NotOpenAdr):
        codec.decode(b"<html><body/></html>", profile_a_schema())


def test_the_answer_to_a_push_is_read() -> None:
    answer = codec.decode_push_answer(ven.response(200, "set-1"), profile_a_schema())
    assert answer.response == EiResponse(response_code=200, response_description="OK", request_id="set-1")
    with pytest.raises(UnsupportedMessage):
        codec.decode_push_answer(ven.request_event("v", "r"), profile_a_schema())


def test_the_mapping_is_the_same_elements_in_both_profiles() -> None:
    """Only the message element and the oadr-namespaced children change: the ei content is byte-identical."""
    message = DistributeEvent(request_id="r", vtn_id="vtn", events=(an_event(),))
    a = etree.fromstring(codec.encode(message)).find(".//{*}eiEventSignals")
    b = etree.fromstring(codec_2_0b.encode(message)).find(".//{*}eiEventSignals")
    assert a is not None and b is not None
    a_text = etree.tostring(a, method="c14n", exclusive=True)
    assert a_text.replace(b">simple<", b">SIMPLE<") == etree.tostring(b, method="c14n", exclusive=True)

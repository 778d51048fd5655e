"""Registration, poll and oadrResponse messages: what the VTN renders is valid 2.0b; what OpenLEADR sends parses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree
from openleadr.messaging import create_message, parse_message

from shared.oadr.common import EiResponse
from shared.oadr.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Poll,
    Profile,
    QueryRegistration,
    RequestReregistration,
    Response,
    Transport,
)
from shared.oadr_xml.codec import decode, encode
from tests.conftest import assert_valid

PROFILES = (Profile(profile_name="2.0b", transports=(Transport(transport_name="simpleHttp"),)),)

VTN_MESSAGES = [
    CreatedPartyRegistration(
        response=EiResponse(request_id="q1"), vtn_id="vtn", profiles=PROFILES, requested_poll_freq=timedelta(seconds=10)
    ),
    CreatedPartyRegistration(
        response=EiResponse(request_id="c1"),
        registration_id="reg-1",
        ven_id="ven-1",
        vtn_id="vtn",
        profiles=PROFILES,
        requested_poll_freq=timedelta(minutes=1),
    ),
    CreatedPartyRegistration(
        response=EiResponse(response_code=463, response_description="refused", request_id="c2"),
        vtn_id="vtn",
        profiles=PROFILES,
    ),
    CancelPartyRegistration(request_id="r1", registration_id="reg-1", ven_id="ven-1"),
    CanceledPartyRegistration(response=EiResponse(request_id="r2"), registration_id="reg-1", ven_id="ven-1"),
    CanceledPartyRegistration(response=EiResponse(response_code=452, response_description="unknown", request_id="r3")),
    RequestReregistration(ven_id="ven-1"),
    Response(response=EiResponse(), ven_id="ven-1"),
    Response(response=EiResponse(response_code=452, response_description="unknown venID")),
]


@pytest.mark.parametrize("message", VTN_MESSAGES, ids=lambda m: m.message_type)
def test_every_registration_message_the_vtn_renders_is_valid(message: object, official_schema: etree.XMLSchema) -> None:
    assert_valid(official_schema, encode(message))  # type: ignore[arg-type]


@pytest.mark.parametrize("message", VTN_MESSAGES, ids=lambda m: m.message_type)
def test_openleadr_reads_what_the_vtn_renders(message: object) -> None:
    message_type, payload = parse_message(encode(message))  # type: ignore[arg-type]
    assert message_type == message.message_type  # type: ignore[attr-defined]
    if isinstance(message, CreatedPartyRegistration):
        assert payload.get("ven_id") == message.ven_id
        assert payload.get("registration_id") == message.registration_id
        assert payload["vtn_id"] == message.vtn_id


def test_query_registration_from_openleadr(official_schema: etree.XMLSchema) -> None:
    message = decode(create_message("oadrQueryRegistration", request_id="q1").encode(), official_schema).message
    assert message == QueryRegistration(request_id="q1")


def test_create_party_registration_from_openleadr(official_schema: etree.XMLSchema) -> None:
    body = create_message(
        "oadrCreatePartyRegistration",
        request_id="c1",
        ven_id="ven-1",
        ven_name="myven",
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address="http://ven.example",
        report_only=False,
        xml_signature=False,
        http_pull_model=True,
    ).encode()
    assert decode(body, official_schema).message == CreatePartyRegistration(
        request_id="c1",
        ven_id="ven-1",
        ven_name="myven",
        transport_address="http://ven.example",
        http_pull_model=True,
    )


def test_reregistration_from_openleadr_carries_the_registration_id(official_schema: etree.XMLSchema) -> None:
    body = create_message(
        "oadrCreatePartyRegistration",
        request_id="c2",
        registration_id="reg-1",
        ven_id="ven-1",
        ven_name="myven",
        profile_name="2.0b",
        transport_name="simpleHttp",
        report_only=True,
        xml_signature=False,
        http_pull_model=True,
    ).encode()
    message = decode(body, official_schema).message
    assert isinstance(message, CreatePartyRegistration)
    assert (message.registration_id, message.ven_id, message.report_only) == ("reg-1", "ven-1", True)


def test_cancel_party_registration_from_openleadr(official_schema: etree.XMLSchema) -> None:
    body = create_message("oadrCancelPartyRegistration", request_id="x1", registration_id="reg-1", ven_id="ven-1")
    assert decode(body.encode(), official_schema).message == CancelPartyRegistration(
        request_id="x1", registration_id="reg-1", ven_id="ven-1"
    )


def test_canceled_party_registration_from_openleadr(official_schema: etree.XMLSchema) -> None:
    body = create_message(
        "oadrCanceledPartyRegistration",
        response={"response_code": 200, "response_description": "OK", "request_id": "x1"},
        registration_id="reg-1",
        ven_id="ven-1",
    )
    message = decode(body.encode(), official_schema).message
    assert message == CanceledPartyRegistration(
        response=EiResponse(response_code=200, response_description="OK", request_id="x1"),
        registration_id="reg-1",
        ven_id="ven-1",
    )


def test_poll_and_response_from_openleadr(official_schema: etree.XMLSchema) -> None:
    assert decode(create_message("oadrPoll", ven_id="ven-1").encode(), official_schema).message == Poll(ven_id="ven-1")
    body = create_message(
        "oadrResponse", response={"response_code": 200, "response_description": "OK", "request_id": "z"}, ven_id="ven-1"
    )
    assert decode(body.encode(), official_schema).message == Response(
        response=EiResponse(response_code=200, response_description="OK", request_id="z"), ven_id="ven-1"
    )

"""The generator's XML must be exactly what an OpenLEADR VEN sends, and valid OpenADR 2.0b."""

from __future__ import annotations

import pytest
from openleadr.messaging import create_message, parse_message, validate_xml_schema

from bench.loadgen import messages


def test_query_registration_matches_openleadr() -> None:
    expected = create_message("oadrQueryRegistration", request_id="req-1")
    assert messages.query_registration("req-1") == expected.encode()


@pytest.mark.parametrize("ven_name", ["ven-1", "bench-ven-0a1b2c3d-00042"])
def test_create_party_registration_matches_openleadr(ven_name: str) -> None:
    expected = create_message(
        "oadrCreatePartyRegistration",
        request_id="req-2",
        ven_name=ven_name,
        ven_id=None,
        registration_id=None,
        http_pull_model=True,
        xml_signature=False,
        report_only=False,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address="",
    )
    assert messages.create_party_registration("req-2", ven_name) == expected.encode()


def test_poll_matches_openleadr() -> None:
    assert messages.poll("ven-123") == create_message("oadrPoll", ven_id="ven-123").encode()


@pytest.mark.parametrize(
    "body",
    [
        messages.query_registration("req-1"),
        messages.create_party_registration("req-2", "ven-1"),
        messages.poll("ven-123"),
    ],
)
def test_messages_are_schema_valid(body: bytes) -> None:
    validate_xml_schema(body)


def test_poll_round_trips_through_openleadr_parser() -> None:
    message_type, payload = parse_message(messages.poll("ven-123"))
    assert (message_type, payload["ven_id"]) == ("oadrPoll", "ven-123")


def test_text_is_escaped() -> None:
    body = messages.create_party_registration("r", "a<b&c")
    validate_xml_schema(body)
    assert parse_message(body)[1]["ven_name"] == "a<b&c"

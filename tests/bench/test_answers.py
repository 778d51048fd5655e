"""Classifying VTN answers, checked against what OpenLEADR itself renders."""

from __future__ import annotations

from datetime import timedelta

from openleadr.messaging import create_message

from bench.loadgen.answers import Answer, classify, granted_ven_id


def _response(code: int) -> bytes:
    return str(
        create_message(
            "oadrResponse",
            ven_id="ven-1",
            response={"response_code": code, "response_description": "x", "request_id": None},
        )
    ).encode()


def _created_party_registration(ven_id: str | None) -> bytes:
    return str(
        create_message(
            "oadrCreatedPartyRegistration",
            response={"response_code": 200, "response_description": "OK", "request_id": "r"},
            ven_id=ven_id,
            registration_id="reg-1" if ven_id else None,
            vtn_id="vtn",
            profiles=[{"profile_name": "2.0b", "transports": [{"transport_name": "simpleHttp"}]}],
            requested_oadr_poll_freq=timedelta(seconds=10),
        )
    ).encode()


def test_oadr_response_with_code() -> None:
    assert classify(_response(200)) == Answer("oadrResponse", "200")
    assert classify(_response(452)) == Answer("oadrResponse", "452")


def test_other_message_types_are_named() -> None:
    body = create_message("oadrRequestReregistration", ven_id="ven-1").encode()
    assert classify(body).message_type == "oadrRequestReregistration"
    assert classify(_created_party_registration("v")).message_type == "oadrCreatedPartyRegistration"


def test_prefix_free_and_default_namespace_payloads() -> None:
    body = (
        b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject Id="x">'
        b'<oadrResponse><eiResponse xmlns="http://docs.oasis-open.org/ns/energyinterop/201110">'
        b"<responseCode>200</responseCode></eiResponse></oadrResponse></oadrSignedObject></oadrPayload>"
    )
    assert classify(body) == Answer("oadrResponse", "200")


def test_non_openadr_bodies() -> None:
    assert classify(b"") == Answer(None, None)
    assert classify(b"<html><body>oops</body></html>") == Answer(None, None)
    assert classify(b"XML failed validation") == Answer(None, None)


def test_granted_ven_id() -> None:
    assert granted_ven_id(_created_party_registration("ven-42")) == "ven-42"
    assert granted_ven_id(_created_party_registration(None)) is None
    assert granted_ven_id(b"not xml") is None


def test_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "leak">]>'
        b'<p xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:venID>&e;</ei:venID></p>'
    )
    assert granted_ven_id(body) != "leak"

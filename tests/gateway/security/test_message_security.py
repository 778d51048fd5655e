"""The gateway's security checks on signed messages and venIDs, with an in-memory bus: each refusal the
security profile requires, and that nothing refused is forwarded to a service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr.messaging import create_message, validate_xml_signature

from devstack.certs import Issued
from gateway.security.replay import ReplayGuard
from gateway.security.signatures import MessageSigner
from shared.contract.ven_traffic import RequestContext, VenRequest
from shared.oadr.common import EiResponse
from shared.oadr.registration import Response
from tests.conftest import assert_valid
from tests.gateway.secured_exchange import as_ven, code_and_text, make, poll
from tests.security_documents import openleadr_signed, signed_at, tampered, wrapped


async def test_a_signed_poll_from_the_bound_certificate_is_answered_and_signed(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, requester, _ = make(dev_certs, official_schema)
    answer = await exchange.handle("OadrPoll", poll(dev_certs), as_ven(dev_certs, "ven1"))
    assert code_and_text(answer.body)[0] == "200"
    assert len(requester.requests) == 1
    assert requester.requests[0][1].payload.context.signed  # type: ignore[union-attr]
    assert_valid(official_schema, answer.body)
    # the answer is signed as OpenLEADR's client checks it, with the VTN's fingerprint
    validate_xml_signature(etree.fromstring(answer.body), cert_fingerprint=dev_certs["vtn-rsa"].fingerprint)


async def test_cached_poll_answers_are_signed_afresh_each_time(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, requester, _ = make(dev_certs, official_schema)
    bodies = [(await exchange.handle("OadrPoll", poll(dev_certs), as_ven(dev_certs, "ven1"))).body for _ in range(3)]
    assert len(requester.requests) == 1
    nonces = {etree.fromstring(b).findtext(".//{*}nonce") for b in bodies}
    assert len(nonces) == 3
    for body in bodies:
        validate_xml_signature(etree.fromstring(body), cert_fingerprint=dev_certs["vtn-rsa"].fingerprint)


@pytest.mark.parametrize(
    ("attack", "reason", "words"),
    [
        ("another_vens_id", "ven_id_of_another_certificate", "venID ven-2 is not bound to this certificate"),
        ("unknown_ven_id", "ven_id_not_bound", "venID ven-9 is not bound to this certificate"),
        ("signed_by_someone_else", "signer_not_client", "not by the TLS client certificate"),
        ("tampered", "signature_invalid", "does not verify"),
        ("wrapped", "signature_wrapping", "not the message signed"),
        ("stale", "replay", "signed more than 30 s ago"),
        ("future", "replay", "in the future"),
        ("unsigned", "unsigned", "requires signed messages"),
        ("no_certificate", "no_client_certificate", "client certificate is required"),
    ],
)
async def test_each_attack_is_refused_with_463_and_nothing_is_forwarded(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, attack: str, reason: str, words: str
) -> None:
    exchange, requester, security = make(dev_certs, official_schema)
    ven1, ven2 = dev_certs["ven1"], dev_certs["ven2"]
    now = datetime.now(UTC)
    context = as_ven(dev_certs, "ven1")
    documents: dict[str, Any] = {
        "another_vens_id": lambda: poll(dev_certs, "ven1", "ven-2"),
        "unknown_ven_id": lambda: poll(dev_certs, "ven1", "ven-9"),
        "signed_by_someone_else": lambda: poll(dev_certs, "ven2", "ven-1"),
        "tampered": lambda: tampered(poll(dev_certs), "ven-2"),
        "wrapped": lambda: wrapped("oadrPoll", ven1.cert_path, ven1.key_path, "ven-2", ven_id="ven-1"),
        "stale": lambda: signed_at(
            "oadrPoll", ven1.cert_path, ven1.key_path, now - timedelta(seconds=31), ven_id="ven-1"
        ),
        "future": lambda: signed_at(
            "oadrPoll", ven2.cert_path, ven2.key_path, now + timedelta(seconds=60), ven_id="ven-2"
        ),
        "unsigned": lambda: create_message("oadrPoll", ven_id="ven-1").encode(),
        "no_certificate": lambda: poll(dev_certs),
    }
    if attack == "future":
        context = as_ven(dev_certs, "ven2")
    if attack == "no_certificate":
        context = RequestContext(remote_addr="127.0.0.1:1")
    answer = await exchange.handle("OadrPoll", documents[attack](), context)
    code, text = code_and_text(answer.body)
    assert (answer.status, code) == (200, "463")
    assert words in text
    assert requester.requests == []
    assert security.refusals == {reason: 1}
    assert_valid(official_schema, answer.body)


async def test_a_replayed_message_is_refused_the_second_time(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, requester, security = make(dev_certs, official_schema)
    body = openleadr_signed(
        "oadrCreatedEvent",
        dev_certs["ven1"].cert_path,
        dev_certs["ven1"].key_path,
        ven_id="ven-1",
        response={"response_code": 200, "response_description": "OK", "request_id": "r1"},
        event_responses=[],
    )
    first = await exchange.handle("EiEvent", body, as_ven(dev_certs, "ven1"))
    second = await exchange.handle("EiEvent", body, as_ven(dev_certs, "ven1"))
    assert code_and_text(first.body)[0] == "200"
    assert code_and_text(second.body) == ("463", "this nonce was used already: the message is a replay")
    assert len(requester.requests) == 1
    assert security.refusals == {"replay": 1}


async def test_unsigned_messages_pass_where_signatures_are_optional(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, requester, _ = make(dev_certs, official_schema, require=False, sign=False)
    body = create_message("oadrPoll", ven_id="ven-1").encode()
    answer = await exchange.handle("OadrPoll", body, as_ven(dev_certs, "ven1"))
    assert code_and_text(answer.body)[0] == "200"
    assert not requester.requests[0][1].payload.context.signed  # type: ignore[union-attr]


async def test_registration_without_a_ven_id_needs_no_binding(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, requester, _ = make(dev_certs, official_schema)
    body = openleadr_signed(
        "oadrCreatePartyRegistration",
        dev_certs["ven2"].cert_path,
        dev_certs["ven2"].key_path,
        ven_name="new-ven",
        http_pull_model=True,
        xml_signature=True,
        report_only=False,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        request_id="r1",
    )
    stranger = RequestContext(fingerprint=dev_certs["ven2"].fingerprint)
    answer = await exchange.handle("EiRegisterParty", body, stranger)
    assert code_and_text(answer.body)[0] == "200"
    forwarded = requester.requests[0][1].payload
    assert isinstance(forwarded, VenRequest) and forwarded.context.fingerprint == dev_certs["ven2"].fingerprint


@pytest.mark.parametrize("vtn_key", ["vtn-rsa", "vtn-ecc"])
def test_signed_answers_verify_with_openleadr_and_with_our_verifier(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, vtn_key: str
) -> None:
    from gateway.security.signatures import SignatureVerifier, signature_of
    from shared.oadr_xml.codec import encode

    signer = MessageSigner.from_files(dev_certs[vtn_key].cert_path, dev_certs[vtn_key].key_path, None)
    body = encode(Response(response=EiResponse(), ven_id="ven-1"))
    for _ in range(2):  # the second time from the digest cache
        signed = signer.sign(body)
        assert_valid(official_schema, signed)
        root = etree.fromstring(signed)
        validate_xml_signature(root, cert_fingerprint=dev_certs[vtn_key].fingerprint)
        content = SignatureVerifier().verify(root, signature_of(root))  # type: ignore[arg-type]
        assert content.signer_fingerprint == dev_certs[vtn_key].fingerprint


async def test_an_unreachable_nonce_store_answers_503_not_500(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    class DownStore:
        async def first_use(self, signer: str, nonce: str, expires_at: datetime) -> bool:
            raise OSError("connection refused")

    exchange, requester, security = make(dev_certs, official_schema)
    security._replay = ReplayGuard(DownStore(), max_age_seconds=30)
    answer = await exchange.handle("OadrPoll", poll(dev_certs), as_ven(dev_certs, "ven1"))
    assert answer.status == 503 and answer.headers["Retry-After"]
    assert requester.requests == []

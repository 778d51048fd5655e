"""The security profile on the real stack: a second gateway serving HTTPS with client certificates and
required XML signatures (and the 2.0a profile's TLS suites), beside the plain development one, sharing Kafka, the
services and PostgreSQL.

OpenLEADR's VEN with its own certificate registers, polls, receives a VTN-initiated message and reports
telemetry over HTTPS with signed messages both ways; each refusal the profile requires leaves nothing stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr import OpenADRClient
from openleadr.messaging import create_message, validate_xml_signature

from bench.loadgen import profile_a_messages
from devstack.certs import Issued
from gateway.security.signature_profile import ECDSA_SHA256, ENVELOPED_SIGNATURE, INCLUSIVE_C14N
from tests.integration.event_ven import simple_event
from tests.integration.secure_gateway import PREFIX, SecureGateway
from tests.profile_a_ven import ProfileAVen
from tests.security_documents import openleadr_signed, signed_at, wrapped
from tests.signature_shapes import XSLT, Reference, Shape, Transform, identity_stylesheet, signed_in_shape
from tests.waiting import until


@pytest.fixture
async def ven1_http(secure_gateway: SecureGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=secure_gateway.url, verify=secure_gateway.ven_tls("ven1"), timeout=15
    ) as client:
        yield client


def answer_of(body: bytes) -> tuple[str, str]:
    root = etree.fromstring(body)
    return root.findtext(".//{*}responseCode") or "", root.findtext(".//{*}responseDescription") or ""


def test_the_vtn_prints_its_fingerprint_at_start(secure_gateway: SecureGateway) -> None:
    log = secure_gateway.log_path.read_text()
    assert f"Your VTN Certificate Fingerprint is {secure_gateway.certs['vtn-rsa'].fingerprint}" in log


async def test_openleadr_ven_registers_polls_receives_an_event_and_reports_over_https_signed(
    secure_gateway: SecureGateway, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven1 = secure_gateway.certs["ven1"]
    client = OpenADRClient(
        ven_name=unique("tls-ven"),
        vtn_url=secure_gateway.url,
        cert=str(ven1.cert_path),
        key=str(ven1.key_path),
        ca_file=str(secure_gateway.certs["ca"].cert_path),
        vtn_fingerprint=secure_gateway.certs["vtn-rsa"].fingerprint,
        show_fingerprint=False,
    )
    produced: list[float] = []

    def power() -> float:
        produced.append(float(len(produced) + 1))
        return produced[-1]

    client.add_report(
        callback=power,
        resource_id="meter-1",
        measurement="power_real",
        r_id="power",
        report_specifier_id="power-spec",
        sampling_rate=timedelta(seconds=1),
        report_duration=timedelta(hours=1),
    )
    events: list[str] = []

    async def on_event(event: dict[str, object]) -> str:
        events.append(str(event["event_descriptor"]["event_id"]))  # type: ignore[index]
        return "optIn"

    client.add_handler("on_event", on_event)
    received: list[str | None] = []
    original_poll = client.poll

    async def recording_poll() -> object:
        result = await original_poll()
        received.append(result[0])
        return result

    client.poll = recording_poll  # type: ignore[method-assign]
    await client.run()
    try:
        await until(lambda: client.registration_id is not None, 20, "registration over HTTPS")
        row = await db.fetchrow("SELECT fingerprint, status FROM vens WHERE ven_id = $1", client.ven_id)
        assert row is not None and (row["fingerprint"], row["status"]) == (ven1.fingerprint, "registered")
        await until(lambda: len(received) >= 2, 20, "signed polls answered")
        answer = await admin.post(f"/vens/{client.ven_id}/request-reregistration")
        assert answer.status_code == 202
        await until(lambda: "oadrRequestReregistration" in received, 20, "the VTN-initiated message")
        # an operator's event reaches it (signed oadrDistributeEvent) and it answers (signed oadrCreatedEvent)
        event_id = unique("tls-event")
        created = await admin.post("/events", json=simple_event((str(client.ven_id),), event_id=event_id))
        assert created.status_code == 201, created.text
        await until(lambda: event_id in events, 30, "the event at the VEN")
        # its telemetry (oadrRegisterReport, oadrCreateReport on a poll, oadrUpdateReport: all signed) reaches PostgreSQL
        deadline = time.monotonic() + 60
        while (
            await db.fetchval("SELECT count(*) FROM report_data WHERE ven_id = $1 AND r_id = 'power'", client.ven_id)
            < 2
        ):
            assert time.monotonic() < deadline, "no signed telemetry stored"
            await asyncio.sleep(0.5)
    finally:
        await client.stop()


async def test_the_vtn_signs_its_answers(ven1_http: httpx.AsyncClient, secure_gateway: SecureGateway) -> None:
    ven1 = secure_gateway.certs["ven1"]
    answer = await ven1_http.post(
        "/EiRegisterParty",
        content=openleadr_signed("oadrQueryRegistration", ven1.cert_path, ven1.key_path, request_id="q1"),
    )
    assert answer.status_code == 200
    validate_xml_signature(
        etree.fromstring(answer.content), cert_fingerprint=secure_gateway.certs["vtn-rsa"].fingerprint
    )


@pytest.mark.parametrize("ven", [None, "stranger"], ids=["no client certificate", "certificate of another CA"])
async def test_a_client_without_a_certificate_of_our_ca_is_refused_at_the_handshake(
    secure_gateway: SecureGateway, ven: str | None
) -> None:
    ven2 = secure_gateway.certs["ven2"]
    async with httpx.AsyncClient(base_url=secure_gateway.url, verify=secure_gateway.ven_tls(ven), timeout=15) as client:
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            await client.post(
                "/EiRegisterParty",
                content=openleadr_signed("oadrQueryRegistration", ven2.cert_path, ven2.key_path, request_id="q"),
            )


def registration(ven: Issued, ven_name: str, **extra: object) -> dict[str, object]:
    return dict(
        ven_name=ven_name,
        http_pull_model=True,
        xml_signature=True,
        report_only=False,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        request_id="r-" + ven_name,
        **extra,
    )


async def stored(db: asyncpg.Connection, ven_name: str | None = None, ven_id: str | None = None) -> int:
    return int(await db.fetchval("SELECT count(*) FROM vens WHERE ven_name = $1 OR ven_id = $2", ven_name, ven_id))


async def register_signed(client: httpx.AsyncClient, ven: Issued, ven_name: str) -> tuple[str, str]:
    body = openleadr_signed("oadrCreatePartyRegistration", ven.cert_path, ven.key_path, **registration(ven, ven_name))
    answer = await client.post("/EiRegisterParty", content=body)
    root = etree.fromstring(answer.content)
    return answer_of(answer.content)[0], root.findtext(".//{*}venID") or ""


async def test_a_certificate_claiming_another_vens_id_is_refused(
    secure_gateway: SecureGateway, ven1_http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven2 = secure_gateway.certs["ven2"]
    async with httpx.AsyncClient(
        base_url=secure_gateway.url, verify=secure_gateway.ven_tls("ven2"), timeout=15
    ) as ven2_http:
        code, ven2_id = await register_signed(ven2_http, ven2, unique("ven2"))
        assert code == "200"
    ven1 = secure_gateway.certs["ven1"]
    registration_before = await db.fetchval("SELECT registration_id FROM vens WHERE ven_id = $1", ven2_id)
    for message_type, service, payload in [
        ("oadrPoll", "OadrPoll", {"ven_id": ven2_id}),
        ("oadrCreatePartyRegistration", "EiRegisterParty", registration(ven1, unique("thief"), ven_id=ven2_id)),
    ]:
        answer = await ven1_http.post(
            f"/{service}", content=openleadr_signed(message_type, ven1.cert_path, ven1.key_path, **payload)
        )
        code, text = answer_of(answer.content)
        assert (answer.status_code, code) == (200, "463")
        assert text == f"venID {ven2_id} is not bound to this certificate"
    # IDs named without a venID (a registrationID, ...): tests/integration/test_ven_identity.py
    row = await db.fetchrow("SELECT registration_id, status FROM vens WHERE ven_id = $1", ven2_id)
    assert (row["registration_id"], row["status"]) == (registration_before, "registered")


async def test_tampered_wrapped_stale_and_unsigned_messages_are_refused_and_nothing_is_stored(
    secure_gateway: SecureGateway, ven1_http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven1 = secure_gateway.certs["ven1"]
    names = {kind: unique(kind) for kind in ("tampered", "wrapped", "stale", "unsigned")}
    signed = openleadr_signed(
        "oadrCreatePartyRegistration", ven1.cert_path, ven1.key_path, **registration(ven1, names["tampered"])
    )
    attacks = {
        "tampered": (
            signed.replace(names["tampered"].encode(), names["tampered"][:-1].encode() + b"X"),
            "does not verify",
        ),
        "wrapped": (
            wrapped(
                "oadrCreatePartyRegistration",
                ven1.cert_path,
                ven1.key_path,
                "evil-" + names["wrapped"],
                **registration(ven1, names["wrapped"], ven_id="orig-" + names["wrapped"]),
            ),
            "not the message signed",
        ),
        "stale": (
            signed_at(
                "oadrCreatePartyRegistration",
                ven1.cert_path,
                ven1.key_path,
                datetime.now(UTC) - timedelta(minutes=5),
                **registration(ven1, names["stale"]),
            ),
            "signed more than 30 s ago",
        ),
        "unsigned": (
            create_message("oadrCreatePartyRegistration", **registration(ven1, names["unsigned"])).encode(),
            "requires signed",
        ),
    }
    for kind, (body, words) in attacks.items():
        answer = await ven1_http.post("/EiRegisterParty", content=body)
        code, text = answer_of(answer.content)
        assert (answer.status_code, code) == (200, "463"), kind
        assert words in text, (kind, text)
    await asyncio.sleep(1)
    for kind, name in names.items():
        assert await stored(db, name, "evil-" + name) == 0, kind
        assert await stored(db, name[:-1] + "X", "orig-" + name) == 0, kind


async def test_a_replayed_message_is_refused_and_stored_once(
    secure_gateway: SecureGateway, ven1_http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven3 = secure_gateway.certs["ven3"]
    name = unique("replayed")
    body = openleadr_signed("oadrCreatePartyRegistration", ven3.cert_path, ven3.key_path, **registration(ven3, name))
    async with httpx.AsyncClient(
        base_url=secure_gateway.url, verify=secure_gateway.ven_tls("ven3"), timeout=15
    ) as ven3_http:
        first = await ven3_http.post("/EiRegisterParty", content=body)
        assert answer_of(first.content)[0] == "200"
        registration_id = etree.fromstring(first.content).findtext(".//{*}registrationID")
        second = await ven3_http.post("/EiRegisterParty", content=body)
    assert answer_of(second.content) == ("463", "this nonce was used already: the message is a replay")
    rows = await db.fetch("SELECT registration_id FROM vens WHERE ven_name = $1", name)
    assert [r["registration_id"] for r in rows] == [registration_id]
    assert await db.fetchval("SELECT count(*) FROM replay_nonces WHERE signer = $1", ven3.fingerprint) >= 1


async def test_the_plain_development_gateway_still_works(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/EiRegisterParty", content=create_message("oadrQueryRegistration", request_id="q").encode()
    )
    assert answer.status_code == 200 and answer_of(answer.content)[0] == "200"


async def test_a_2_0a_ven_is_served_over_https_with_its_own_certificate_and_refused_with_another_s(
    secure_gateway: SecureGateway, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """Signed 2.0b messages are required here; 2.0a has no signatures, and its VENs are served on their
    certificate, over a 2.0a suite (VTN_HTTP_TLS_2_0A_SUITES); nothing of the refused request is kept."""
    ven_id = unique("tls-a-ven")
    certificate = secure_gateway.new_certificate(unique("tls-a-cert"))
    provisioned = await admin.post(
        "/vens", json={"profile_name": "2.0a", "ven_id": ven_id, "fingerprint": certificate.fingerprint}
    )
    assert provisioned.status_code == 201, provisioned.text
    root = secure_gateway.url.removesuffix(PREFIX)
    own = secure_gateway.ven_tls(certificate, ciphers="AES128-SHA")
    async with httpx.AsyncClient(base_url=root, verify=own, timeout=15) as own_http:
        seen = await ProfileAVen(own_http, ven_id).request_events()
        assert (seen.message_type, seen.response_code) == ("oadrDistributeEvent", 200)
    async with httpx.AsyncClient(base_url=root, verify=secure_gateway.ven_tls("ven1"), timeout=15) as ven1_http:
        status, refused = await ProfileAVen(ven1_http, ven_id).post(
            profile_a_messages.created_event(ven_id, "r1", [profile_a_messages.EventAnswer("e1", 0, "optIn", "r1")])
        )
    assert (status, refused.response_code) == (200, 463)
    assert "is not bound to this certificate" in (refused.description or "")
    assert await db.fetchval("SELECT count(*) FROM event_responses WHERE ven_id = $1", ven_id) == 0


async def test_a_signature_outside_the_profile_is_refused_and_the_enveloped_shape_accepted(
    secure_gateway: SecureGateway, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """An XSLT transform (which a general verifier skips) is 463 with the reason, and nothing is stored; the
    enveloped shape avob's Java VEN signs with is verified and registers."""
    certificate = secure_gateway.new_certificate(unique("shapes"))
    xslt = (Transform(XSLT, (identity_stylesheet(),)), Transform(INCLUSIVE_C14N))
    shapes = {
        "xslt": Shape(
            signature_method=ECDSA_SHA256, references=(Reference("#oadrSignedObject", xslt), Reference("#prop"))
        ),
        "enveloped": Shape(
            signature_method=ECDSA_SHA256,
            references=(Reference("", (Transform(ENVELOPED_SIGNATURE),)), Reference("#prop")),
        ),
    }
    names = {kind: unique(kind) for kind in shapes}
    async with httpx.AsyncClient(
        base_url=secure_gateway.url, verify=secure_gateway.ven_tls(certificate), timeout=15
    ) as client:
        answers = {}
        for kind, shape in shapes.items():
            body = signed_in_shape(
                "oadrCreatePartyRegistration",
                certificate.cert_path,
                certificate.key_path,
                shape,
                **registration(certificate, names[kind]),
            )
            answers[kind] = answer_of((await client.post("/EiRegisterParty", content=body)).content)
    assert answers["xslt"] == (
        "463",
        f"reference '#oadrSignedObject' uses the transform {XSLT}, outside the OpenADR 2.0b signature profile",
    )
    assert answers["enveloped"][0] == "200"
    assert await stored(db, names["xslt"]) == 0
    row = await db.fetchrow("SELECT fingerprint, status FROM vens WHERE ven_name = $1", names["enveloped"])
    assert (row["fingerprint"], row["status"]) == (certificate.fingerprint, "registered")

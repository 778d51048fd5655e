"""Mutated OpenADR documents, 2.0b and 2.0a, against the gateway's VEN doors (the 2.0b endpoints and the 2.0a
one), with the security checks on (hypothesis, bounded in examples and time): never a 5xx, never a hang,
always an XML answer, and a valid signed poll is still answered afterwards."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen import profile_a_messages
from devstack.certs import Issued
from gateway.exchange import ExchangeSettings
from gateway.oadr_http import create_oadr_app
from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_exchange import ProfileAExchange
from gateway.routing import OADR_PATH_PREFIX, PROFILE_A_PATH, SERVICES
from shared.contract.ven_traffic import RequestContext
from tests.fakes import RecordingBatcher
from tests.gateway.security.test_message_security import code_and_text, make, poll
from tests.profile_a_ven import profile_a_schema
from tests.security_documents import openleadr_signed

MAX_EXAMPLES = 250
PER_REQUEST_SECONDS = 5.0
PATHS = [*(f"{OADR_PATH_PREFIX}/{service}" for service in SERVICES), PROFILE_A_PATH]


def seeds(certs: dict[str, Issued]) -> list[bytes]:
    ven1 = certs["ven1"]
    return [
        poll(certs),
        create_message("oadrPoll", ven_id="ven-1").encode(),
        openleadr_signed(
            "oadrCreatePartyRegistration",
            ven1.cert_path,
            ven1.key_path,
            ven_name="v",
            http_pull_model=True,
            xml_signature=True,
            report_only=False,
            profile_name="2.0b",
            transport_name="simpleHttp",
            transport_address=None,
            request_id="r1",
        ),
        openleadr_signed("oadrQueryRegistration", ven1.cert_path, ven1.key_path, request_id="r2"),
        openleadr_signed(
            "oadrRequestEvent",
            ven1.cert_path,
            ven1.key_path,
            ven_id="ven-1",
            request_id="r3",
        ),
        # ECDSA-signed: the verifier's direct path for ECC keys (then refused: not the TLS client's certificate)
        openleadr_signed("oadrPoll", certs["vtn-ecc"].cert_path, certs["vtn-ecc"].key_path, ven_id="ven-1"),
        # 2.0a: unsigned, the message as the root
        profile_a_messages.request_event("ven-1", "r4", reply_limit=2),
        profile_a_messages.created_event("ven-1", "r5", [profile_a_messages.EventAnswer("e1", 0, "optIn", "r5")]),
    ]


def mutate_bytes(document: bytes, data: st.DataObject) -> bytes:
    body = bytearray(document)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, max(len(body) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if action == "flip" and body:
            body[position] = data.draw(st.integers(0, 255))
        elif action == "delete" and body:
            del body[position : position + data.draw(st.integers(1, 40))]
        elif action == "insert":
            body[position:position] = data.draw(
                st.sampled_from(
                    [b"<", b">", b"&amp;", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"\x00", b"]]>", b"\xff\xfe", b"<x/>"]
                )
            )
        else:
            del body[position:]
    return bytes(body)


def mutate_tree(document: bytes, data: st.DataObject) -> bytes:
    root = etree.fromstring(document)
    elements = list(root.iter())
    for _ in range(data.draw(st.integers(1, 4))):
        element = elements[data.draw(st.integers(0, len(elements) - 1))]
        action = data.draw(st.sampled_from(["text", "drop", "duplicate", "attribute", "move"]))
        parent = element.getparent()
        if action == "text":
            element.text = data.draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
        elif action == "drop" and parent is not None:
            parent.remove(element)
        elif action == "duplicate" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(element)))
        elif action == "attribute":
            element.set(
                data.draw(st.sampled_from(["Id", "{http://openadr.org/oadr-2.0b/2012/07}Id", "URI"])),
                "oadrSignedObject",
            )
        elif action == "move" and parent is not None:
            parent.remove(element)
            root.insert(0, element)
        elements = list(root.iter())
    return etree.tostring(root)


@pytest.fixture(scope="module")
def seed_documents(dev_certs: dict[str, Issued]) -> list[bytes]:
    return seeds(dev_certs)


@pytest.fixture(scope="module")
def door(dev_certs: dict[str, Issued], official_schema: etree.XMLSchema) -> object:
    exchange, requester, security = make(dev_certs, official_schema, require=False)
    profile_a = ProfileAExchange(
        requester,
        profile_a_schema(),
        PollAnswerCache(60, 100),
        RecordingBatcher(),
        ExchangeSettings(0.1),
        security,  # type: ignore[arg-type]
    )

    def as_ven1(scope: object) -> RequestContext:
        return RequestContext(remote_addr="127.0.0.1:1", fingerprint=dev_certs["ven1"].fingerprint)

    return create_oadr_app(exchange, 64 * 1024, as_ven1, profile_a=profile_a)


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=timedelta(seconds=PER_REQUEST_SECONDS),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_mutated_documents_never_break_the_gateway(
    data: st.DataObject, door: object, seed_documents: list[bytes]
) -> None:
    document = data.draw(st.sampled_from(seed_documents))
    body = data.draw(st.sampled_from([mutate_bytes, mutate_tree]))(document, data)
    path = data.draw(st.sampled_from(PATHS))

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=door)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="https://vtn") as client:
            return await asyncio.wait_for(client.post(path, content=body), PER_REQUEST_SECONDS)

    response = asyncio.run(send())
    assert response.status_code < 500, response.text
    etree.fromstring(response.content)  # always an XML document a VEN can read


def test_a_valid_poll_is_answered_after_the_fuzzing(door: object, dev_certs: dict[str, Issued]) -> None:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=door)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="https://vtn") as client:
            return await client.post(f"{OADR_PATH_PREFIX}/OadrPoll", content=poll(dev_certs))

    response = asyncio.run(send())
    assert response.status_code == 200
    assert code_and_text(response.content)[0] == "200"

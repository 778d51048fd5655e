"""The security profile at the 2.0a endpoint: a 2.0a VEN is known by its TLS client certificate and the venID
bound to it, as a 2.0b VEN is; 2.0a has no XML signatures, so a VTN requiring signed 2.0b messages still serves
2.0a VENs, and its 2.0a answers are never signed. Nothing refused reaches a service."""

from __future__ import annotations

from lxml import etree

from bench.loadgen import profile_a_messages as ven_messages
from devstack.certs import Issued
from gateway.exchange import ExchangeSettings
from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_exchange import ProfileAExchange
from shared.contract.ven_traffic import RequestContext
from tests.fakes import RecordingBatcher
from tests.gateway.security.test_message_security import as_ven, code_and_text, make
from tests.profile_a_ven import assert_valid_2_0a, profile_a_schema


def exchange_for(certs: dict[str, Issued], schema: etree.XMLSchema) -> tuple[ProfileAExchange, list[object]]:
    _, requester, security = make(certs, schema, require=True)  # 2.0b messages must be signed
    exchange = ProfileAExchange(
        requester,
        profile_a_schema(),
        PollAnswerCache(60, 100),
        RecordingBatcher(),
        ExchangeSettings(0.1),
        security,  # type: ignore[arg-type]
    )
    return exchange, requester.requests  # type: ignore[return-value]


async def test_a_2_0a_ven_with_its_own_certificate_is_served_although_2_0b_requires_signatures(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, forwarded = exchange_for(dev_certs, official_schema)
    answer = await exchange.handle(ven_messages.request_event("ven-1", "r1"), as_ven(dev_certs, "ven1"))
    assert answer.status == 200 and len(forwarded) == 1
    assert_valid_2_0a(answer.body)
    assert b"Signature" not in answer.body


async def test_a_2_0a_ven_with_another_ven_s_certificate_is_refused(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, forwarded = exchange_for(dev_certs, official_schema)
    answer = await exchange.handle(ven_messages.request_event("ven-1", "r1"), as_ven(dev_certs, "ven2"))
    assert code_and_text(answer.body) == ("463", "venID ven-1 is not bound to this certificate")
    assert_valid_2_0a(answer.body)
    assert forwarded == []


async def test_a_2_0a_request_without_a_client_certificate_is_refused(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    exchange, forwarded = exchange_for(dev_certs, official_schema)
    answer = await exchange.handle(ven_messages.request_event("ven-1", "r1"), RequestContext(remote_addr="127.0.0.1:1"))
    assert code_and_text(answer.body) == ("463", "a client certificate is required")
    assert_valid_2_0a(answer.body)
    assert forwarded == []

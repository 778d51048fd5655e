"""A flood of refusals on every refusal path of the gateway is counted in full by its metric but written to
the log only a few times per reason and period, then summarised: an attacker does not control the log volume."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from lxml import etree
from openleadr.messaging import create_message
from prometheus_client import REGISTRY

from devstack.certs import Issued
from gateway.oadr_http import OadrEndpoints, _fallback_app
from gateway.security.identity import ClientIdentity
from shared.throttled_log import DEFAULT_BURST, ThrottledLog
from tests.fakes import UnreachedExchange
from tests.gateway.security.test_message_security import as_ven, make

FLOOD = 2_000


@pytest.fixture
def refusal_records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog


def written(caplog: pytest.LogCaptureFixture, action: str, reason: str) -> list[logging.LogRecord]:
    """The lines of any logger about refusals of this kind."""
    return [r for r in caplog.records if getattr(r, "action", None) == action and getattr(r, "reason", None) == reason]


def counted(metric: str, reason: str) -> float:
    return REGISTRY.get_sample_value(metric, {"reason": reason}) or 0.0


SECURITY_REFUSALS = "vtn_gateway_security_refusals_total"
DOCUMENT_REFUSALS = "vtn_gateway_documents_refused_total"


async def test_a_flood_of_security_refusals_writes_a_few_lines(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, refusal_records: pytest.LogCaptureFixture
) -> None:
    exchange, requester, security = make(dev_certs, official_schema)
    unsigned = create_message("oadrPoll", ven_id="ven-1").encode()
    before = counted(SECURITY_REFUSALS, "unsigned")
    for _ in range(FLOOD):
        answer = await exchange.handle("OadrPoll", unsigned, as_ven(dev_certs, "ven1"))
        assert b"463" in answer.body
    assert security.refusals["unsigned"] == FLOOD
    assert counted(SECURITY_REFUSALS, "unsigned") == before + FLOOD
    assert len(written(refusal_records, "security_refused", "unsigned")) == DEFAULT_BURST
    assert requester.requests == []


async def test_a_flood_of_documents_that_are_no_openadr_writes_a_few_lines(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, refusal_records: pytest.LogCaptureFixture
) -> None:
    exchange, _, _ = make(dev_certs, official_schema)
    before = counted(DOCUMENT_REFUSALS, "MalformedXml")
    for _ in range(FLOOD):
        await exchange.handle("OadrPoll", b"this is not XML", as_ven(dev_certs, "ven1"))
    assert counted(DOCUMENT_REFUSALS, "MalformedXml") == before + FLOOD
    assert len(written(refusal_records, "document_refused", "MalformedXml")) == DEFAULT_BURST


async def test_a_flood_of_refused_certificates_writes_a_few_lines_and_a_summary(
    dev_certs: dict[str, Issued], refusal_records: pytest.LogCaptureFixture
) -> None:
    from gateway.refusals import REFUSAL_LOGGER, SecurityRefusals
    from gateway.security.forwarded_certificates import ForwardedCertificates
    from gateway.security.tls import client_verifying_context

    clock = [0.0]
    log = ThrottledLog(logging.getLogger(REFUSAL_LOGGER), clock=lambda: clock[0])
    refusals = SecurityRefusals(log)
    ca_file = dev_certs["ca"].cert_path
    forwarded = ForwardedCertificates.for_ca_file(
        ca_file, client_verifying_context(ca_file), accept_seconds=60, max_entries=100
    )
    identify = ClientIdentity(["10.0.0.0/8"], forwarded=forwarded)
    app = OadrEndpoints(UnreachedExchange(), 1024, _fallback_app(), identify, refusals=refusals)  # type: ignore[arg-type]
    stranger = quote(dev_certs["stranger"].cert_path.read_text()).encode()
    statuses = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"<x/>", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for index in range(FLOOD):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/OpenADR2/Simple/2.0b/OadrPoll",
            "client": ("10.0.0.1", index),
            "headers": [(b"ssl-client-cert", stranger)],
            "extensions": {},
        }
        await app(scope, receive, send)  # type: ignore[arg-type]
    assert statuses == [403] * FLOOD
    assert refusals.counts == {"forwarded_certificate_untrusted": FLOOD}
    assert len(written(refusal_records, "security_refused", "forwarded_certificate_untrusted")) == DEFAULT_BURST
    clock[0] += 60
    log.flush()
    lines = written(refusal_records, "security_refused", "forwarded_certificate_untrusted")
    assert len(lines) == DEFAULT_BURST + 1
    assert lines[-1].suppressed == FLOOD - DEFAULT_BURST  # type: ignore[attr-defined]

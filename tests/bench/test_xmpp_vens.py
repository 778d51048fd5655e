"""The XMPP benchmark's simulated VEN: its JID names its certificate, it answers a pushed event set with the IQ
result the 2.0b spec asks for, then sends one oadrCreatedEvent per new event version, asked again while the VTN
says wait (no XMPP server: the session's `ask` is replaced)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.bench_certs import BenchCertificates, bench_certificates
from bench.event_vens import AnswerTemplate
from bench.loadgen import messages
from bench.loadgen.config import VtnAddress
from bench.loadgen.push_server import read_push
from bench.xmpp_vens import XmppEventVen, XmppService
from devstack.xmpp_server import xmpp_account
from gateway.xmpp.connection import AskFailed
from gateway.xmpp.wire_form import document_of, element_of, xmpp_form
from shared.oadr.event_sets import SharedEventSet
from shared.oadr_xml.codec import encode
from tests.event_svc.test_delivery import stored

VTN = "0123456789abcdef0123@localhost"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> BenchCertificates:
    return bench_certificates(tmp_path_factory.mktemp("certs"), vens=1)


class FakeVtn:
    """Answers each request the VEN asks with an oadrResponse (after `busy_first` wait errors)."""

    def __init__(self, busy_first: int = 0) -> None:
        self.asked: list[bytes] = []
        self.busy_first = busy_first

    async def ask(self, to: str, payload: ET.Element, timeout: float) -> ET.Element | None:
        assert to == VTN
        self.asked.append(document_of(payload))
        if self.busy_first:
            self.busy_first -= 1
            raise AskFailed("busy", "wait/resource-constraint")
        return element_of(xmpp_form(messages.response("r", "ven-1")))


def registered_ven(certificates: BenchCertificates, vtn: FakeVtn) -> XmppEventVen:
    service = XmppService(("127.0.0.1", 9), VTN, str(certificates.ca_file))
    ven = XmppEventVen(
        "ven", certificates.vens[0], service, VtnAddress.parse("http://127.0.0.1:9/OpenADR2/Simple/2.0b")
    )
    ven.ven_id = "ven-1"
    ven._template = AnswerTemplate.for_ven("ven-1")
    ven.connection.ask = vtn.ask  # type: ignore[method-assign]
    return ven


def event_set(request_id: str) -> ET.Element:
    events = (stored("a").event, stored("b").event)
    return element_of(xmpp_form(encode(SharedEventSet("vtn", events).message("ven-1", request_id))))


def test_the_jid_is_the_certificates_account_with_a_fixed_resource(certificates: BenchCertificates) -> None:
    ven = registered_ven(certificates, FakeVtn())
    account = xmpp_account(Path(certificates.vens[0].cert_path).read_text())
    assert ven.jid == f"{account}@localhost/ven"


async def test_a_pushed_event_set_gets_an_oadr_response_then_one_created_event_per_new_version(
    certificates: BenchCertificates,
) -> None:
    vtn = FakeVtn()
    ven = registered_ven(certificates, vtn)

    result = await ven._pushed(VTN + "/xmpp-1", event_set("req-1"))
    assert result.error_type is None and result.payload is not None
    answered = read_push("xmpp", document_of(result.payload))
    assert (answered.message_type, answered.request_id) == ("oadrResponse", "req-1")
    await ven.settle_answers()
    assert [read_push("xmpp", body).message_type for body in vtn.asked] == ["oadrCreatedEvent"]
    assert b"req-1" in vtn.asked[0]
    assert ven.tracking.answered_versions == {("a", 0), ("b", 0)}
    assert set(ven.events) == {"a", "b"}

    await ven._pushed(VTN + "/xmpp-1", event_set("req-2"))  # the same versions again: nothing more to answer
    await ven.settle_answers()
    assert len(vtn.asked) == 1 and ven.answer_errors == 0


async def test_an_answer_the_vtn_asks_to_send_later_is_sent_again(certificates: BenchCertificates) -> None:
    vtn = FakeVtn(busy_first=2)
    ven = registered_ven(certificates, vtn)
    await ven._pushed(VTN + "/xmpp-1", event_set("req-1"))
    await ven.settle_answers()
    assert len(vtn.asked) == 3
    assert ven.tracking.answered_versions == {("a", 0), ("b", 0)} and ven.answer_errors == 0

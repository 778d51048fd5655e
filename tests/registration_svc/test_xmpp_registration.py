"""A registration over XMPP (oadrTransportName xmpp): accepted only when the VTN serves XMPP and the VEN gives its
own full JID; the VTN's answer then lists both transports and gives its XMPP address in oadrServiceSpecificInfo,
valid against the official 2.0b schema, and no poll frequency to an XMPP VEN."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from registration_svc import replies
from registration_svc.policy import AcceptAll
from registration_svc.ven_requests import RegistrationConfig, transport_refusal
from shared.oadr.registration import CreatePartyRegistration
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid

VTN = "00112233445566778899@vtn.example"
FINGERPRINT = "AA:BB:CC:DD:EE:FF:00:11:22:33"
OWN_JID = "aabbccddeeff00112233@vtn.example/ven"


def config(xmpp_address: str | None = VTN) -> RegistrationConfig:
    return RegistrationConfig(
        vtn_id="vtn", poll_interval=timedelta(seconds=10), policy=AcceptAll(), xmpp_address=xmpp_address
    )


def over_xmpp(address: str | None) -> CreatePartyRegistration:
    return CreatePartyRegistration(request_id="r", ven_name="v", transport_name="xmpp", transport_address=address)


def test_an_xmpp_registration_needs_the_vens_own_jid_and_a_vtn_serving_xmpp() -> None:
    assert transport_refusal(over_xmpp(OWN_JID), config(), FINGERPRINT) is None
    assert transport_refusal(over_xmpp("ffffffffffffffffffff@vtn.example/ven"), config(), FINGERPRINT) is not None
    assert transport_refusal(over_xmpp(OWN_JID), config(), None) is not None
    assert transport_refusal(over_xmpp(OWN_JID), config(None), FINGERPRINT) is not None
    assert config(None).transports == frozenset({"simpleHttp"})
    assert config().transports == frozenset({"simpleHttp", "xmpp"})


def test_the_answer_offers_both_transports_and_the_vtns_address(official_schema: etree.XMLSchema) -> None:
    answer = config().answer(replies.ok("r"), True, ven_id="ven-1", registration_id="reg-1")
    assert [t.transport_name for t in answer.profiles[0].transports] == ["simpleHttp", "xmpp"]
    assert {info for service in answer.service_specific_info for info in service.info} == {("xmppAddress", VTN)}
    assert answer.requested_poll_freq is None
    document = encode(answer)
    assert_valid(official_schema, document)
    assert b"oadrServiceSpecificInfo" in document


def test_a_vtn_without_xmpp_answers_as_before() -> None:
    answer = config(None).answer(replies.ok("r"))
    assert [t.transport_name for t in answer.profiles[0].transports] == ["simpleHttp"]
    assert answer.service_specific_info == () and answer.requested_poll_freq == timedelta(seconds=10)

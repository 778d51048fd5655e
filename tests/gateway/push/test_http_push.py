"""The HTTP push deliverer against a push VEN on loopback (bench.loadgen.push_server): the message POSTed as
an oadrPayload (signed with the VTN's key when signing is on), and the VEN's answer parsed, validated
against the 2.0b schema and checked like a request before anyone acts on it; to a 2.0a VEN, its event set as a
2.0a document at its 2.0a endpoint, and its 2.0a answer."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from lxml import etree
from openleadr.messaging import validate_xml_signature

from bench.loadgen import messages, profile_a_messages
from bench.loadgen.push_server import PushVenServer
from devstack.certs import Issued
from gateway.push.connections import ConnectionPools
from gateway.push.deliverer import DeliveryFailed, PushTarget
from gateway.push.http_push import HttpPushDeliverer
from gateway.security.message_security import MessageSecurity, SecurityPolicy
from gateway.security.signatures import MessageSigner
from shared.oadr.event import DistributeEvent
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import RequestReregistration, Response
from shared.oadr_xml.schema import load_schema
from shared.push_addresses import PushAddressPolicy, parse_allowlist
from tests.conftest import OFFICIAL_XSD, assert_valid
from tests.profile_a_ven import assert_valid_2_0a

EVENTS = DistributeEvent(request_id="req-1", vtn_id="vtn", events=())


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return load_schema(OFFICIAL_XSD)


@pytest.fixture
async def server() -> AsyncIterator[PushVenServer]:
    running = PushVenServer()
    await running.start()
    yield running
    await running.stop()


def deliverer(schema: etree.XMLSchema, security: MessageSecurity | None = None) -> HttpPushDeliverer:
    policy = PushAddressPolicy(parse_allowlist("127.0.0.0/8"), require_tls=False, own_ports=frozenset())
    return HttpPushDeliverer(ConnectionPools(policy, None, 4, 30.0), policy, schema, security, 65536, 2.0)


def target(server: PushVenServer, key: str, ven_id: str = "ven-1") -> PushTarget:
    server.endpoint(key).ven_id = ven_id
    return PushTarget(ven_id, server.address_of(key), None)


async def test_an_event_set_is_posted_to_the_event_endpoint_and_the_ven_answer_read(
    server: PushVenServer, schema: etree.XMLSchema, official_schema: etree.XMLSchema
) -> None:
    answer = await deliverer(schema).deliver(target(server, "a"), EVENTS)
    assert isinstance(answer.message, Response) and answer.message.response.request_id == "req-1"
    assert answer.context.remote_addr == "127.0.0.1"
    [pushed] = server.endpoint("a").received
    assert (pushed.service, pushed.message_type, pushed.request_id) == ("EiEvent", "oadrDistributeEvent", "req-1")
    assert_valid(official_schema, pushed.body)


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (b"not xml at all", "bad_answer"),
        (b"<?xml version='1.0'?><oadrPayload xmlns='urn:other'/>", "bad_answer"),
        (messages.response("req-1", "ven-1").replace(b"<ei:responseCode>200", b"<ei:responseCode>OK"), "bad_answer"),
        (messages.response("req-1", "someone-else"), "security_refused"),
    ],
)
async def test_an_answer_that_is_no_valid_openadr_answer_from_this_ven_fails_the_push(
    server: PushVenServer, schema: etree.XMLSchema, answer: bytes, kind: str
) -> None:
    server.endpoint("b").answerer = lambda pushed, ven_id: answer
    with pytest.raises(DeliveryFailed) as failure:
        await deliverer(schema).deliver(target(server, "b"), EVENTS)
    assert failure.value.kind == kind


async def test_an_http_error_or_a_ven_that_hangs_up_fails_the_push(
    server: PushVenServer, schema: etree.XMLSchema
) -> None:
    endpoint = server.endpoint("c")
    endpoint.busy = True
    with pytest.raises(DeliveryFailed) as failure:
        await deliverer(schema).deliver(target(server, "c"), EVENTS)
    assert failure.value.kind == "http_error"
    endpoint.busy, endpoint.down = False, True
    with pytest.raises(DeliveryFailed) as failure:
        await deliverer(schema).deliver(target(server, "c"), EVENTS)
    assert failure.value.kind == "http_error"
    with pytest.raises(DeliveryFailed) as failure:
        await deliverer(schema).deliver(PushTarget("ven-1", "http://10.9.9.9:9000", None), EVENTS)
    assert failure.value.kind == "address_refused"


async def test_with_signing_on_every_push_is_signed_with_the_vtns_key(
    server: PushVenServer, schema: etree.XMLSchema, dev_certs: dict[str, Issued]
) -> None:
    signer = MessageSigner.from_files(dev_certs["vtn-rsa"].cert_path, dev_certs["vtn-rsa"].key_path, None)
    security = MessageSecurity(SecurityPolicy(verify_signatures=False), schema, signer=signer)
    await deliverer(schema, security).deliver(target(server, "d"), EVENTS)
    [pushed] = server.endpoint("d").received
    validate_xml_signature(etree.fromstring(pushed.body), dev_certs["vtn-rsa"].fingerprint)  # OpenLEADR's VEN check


async def test_a_2_0a_ven_gets_its_event_set_in_2_0a_at_its_2_0a_endpoint_unsigned(
    server: PushVenServer, schema: etree.XMLSchema, dev_certs: dict[str, Issued]
) -> None:
    """Even with signing on (2.0a has no signatures); its 2.0a oadrResponse is read with the 2.0a codec."""
    signer = MessageSigner.from_files(dev_certs["vtn-rsa"].cert_path, dev_certs["vtn-rsa"].key_path, None)
    security = MessageSecurity(SecurityPolicy(verify_signatures=False), schema, signer=signer)
    a_target = dataclasses.replace(target(server, "a-ven"), profile=OadrProfile.A)
    answer = await deliverer(schema, security).deliver(a_target, EVENTS)
    assert isinstance(answer.message, Response) and answer.message.response.request_id == "req-1"
    assert answer.context.profile is OadrProfile.A
    [pushed] = server.endpoint("a-ven").received
    assert (pushed.profile, pushed.message_type, pushed.request_id) == ("2.0a", "oadrDistributeEvent", "req-1")
    assert_valid_2_0a(pushed.body)
    assert b"Signature" not in pushed.body


async def test_a_2_0a_ven_s_answer_must_be_2_0a_and_its_own(server: PushVenServer, schema: etree.XMLSchema) -> None:
    a_target = dataclasses.replace(target(server, "a-ven-2"), profile=OadrProfile.A)
    for answer, kind in (
        (messages.response("req-1", "ven-1"), "bad_answer"),  # a 2.0b document
        (profile_a_messages.created_event("someone-else", "req-1", []), "security_refused"),
    ):
        server.endpoint("a-ven-2").answerer = lambda pushed, ven_id, answer=answer: answer  # type: ignore[misc]
        with pytest.raises(DeliveryFailed) as failure:
            await deliverer(schema).deliver(a_target, EVENTS)
        assert failure.value.kind == kind


async def test_a_2_0a_ven_takes_event_sets_only(server: PushVenServer, schema: etree.XMLSchema) -> None:
    a_target = dataclasses.replace(target(server, "a-ven-3"), profile=OadrProfile.A)
    with pytest.raises(DeliveryFailed) as failure:
        await deliverer(schema).deliver(a_target, RequestReregistration(ven_id="ven-1"))
    assert failure.value.kind == "not_in_profile"
    assert server.endpoint("a-ven-3").received == []

"""OpenADR 2.0b over XMPP on the real stack: the devstack's Prosody, the VTN's connector (gateway.xmpp), and VENs
over XMPP (tests/integration/xmpp_ven.py) logging in with certificates of the stack's CA. A VEN registers over
XMPP, gets every message the VTN sends it pushed as IQ sets through the same delivery queue as HTTP push, and its
answers count as requests would; the identity rules (the JID is the certificate, the venID is bound to it)
refuse impostors."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen import messages
from bench.loadgen.push_server import Pushed
from gateway.xmpp.connection import AskFailed
from gateway.xmpp.wire_form import element_of, xmpp_form
from shared import topics
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.push_ven import undelivered
from tests.integration.raw_ven import new_request_id
from tests.integration.test_push import _undelivered, _until
from tests.integration.test_reports import metadata
from tests.integration.xmpp_ven import XmppVen, account_of, issue_certificate, vtn_address
from tests.stack import RunningVtn, find_on_topic

_EI = "http://docs.oasis-open.org/ns/energyinterop/201110"


@pytest.fixture
async def xmpp_vens(
    tmp_path: Path, official_schema: etree.XMLSchema
) -> AsyncIterator[Callable[..., Awaitable[XmppVen]]]:
    """Makes connected VENs over XMPP (registered unless told otherwise); disconnects them after the test."""
    made: list[XmppVen] = []

    async def make(name: str, register: bool = True, ca: str = "ca") -> XmppVen:
        ven = XmppVen(name, issue_certificate(tmp_path, name, ca), official_schema)
        made.append(ven)
        await ven.connect()
        if register:
            answer = await ven.register()
            assert ven.ven_id, answer.decode()
        return ven

    yield make
    for ven in made:
        await ven.disconnect()


def carrying(event_id: str) -> Callable[[Pushed], bool]:
    """Whether a push is an event set carrying `event_id`."""
    return lambda pushed: any(event[0] == event_id for event in pushed.events)


async def test_the_query_registration_answer_lists_both_transports_and_the_vtns_xmpp_address(
    vtn: RunningVtn, http: httpx.AsyncClient, official_schema: etree.XMLSchema
) -> None:
    """2.0b §9.3: the VTN offers simpleHttp and xmpp; oadrServiceSpecificInfo names its XMPP address."""
    answer = await http.post("/EiRegisterParty", content=messages.query_registration(uuid.uuid4().hex))
    root = etree.fromstring(answer.content)
    oadr = "http://openadr.org/oadr-2.0b/2012/07"
    transports = [e.text for e in root.iter(f"{{{oadr}}}oadrTransportName")]
    assert transports == ["simpleHttp", "xmpp"]
    addresses = {e.findtext(f"{{{oadr}}}oadrValue") for e in root.iter(f"{{{oadr}}}oadrInfo")}
    assert addresses == {vtn_address()}
    official_schema.assertValid(root)


async def test_a_ven_registers_over_xmpp_gets_an_event_pushed_and_its_created_event_is_recorded_beside_an_http_ven(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    xmpp_vens: Callable[..., Awaitable[XmppVen]],
    unique: Callable[[str], str],
) -> None:
    ven = await xmpp_vens(unique("xmpp-event"))
    view = (await admin.get(f"/vens/{ven.ven_id}")).json()
    assert (view["transport_name"], view["transport_address"]) == ("xmpp", ven.jid)
    registered = await find_on_topic(vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, lambda e: e.ven_id == ven.ven_id)
    assert [(e.payload.transport_name, e.payload.transport_address) for e in registered] == [("xmpp", ven.jid)]  # type: ignore[union-attr]

    http_ven = await http.post(
        "/EiRegisterParty", content=messages.create_party_registration(uuid.uuid4().hex, unique("http-beside-xmpp"))
    )
    http_ven_id = etree.fromstring(http_ven.content).findtext(f".//{{{_EI}}}venID")
    assert http_ven_id
    started = time.monotonic()
    created = await admin.post("/events", json=simple_event((ven.ven_id, http_ven_id), event_id=unique("event")))
    assert created.status_code == 201, created.text
    event_id = created.json()["event"]["descriptor"]["event_id"]

    pushed = await ven.wait_for(lambda p: any(e[0] == event_id for e in p.events), what="the event set")
    assert pushed.message_type == "oadrDistributeEvent"
    assert time.monotonic() - started < 5
    assert all(sender.startswith(vtn_address() + "/") for sender in ven.senders)  # from a resource of the VTN
    polled = await http.post("/OadrPoll", content=messages.poll(http_ven_id))
    assert event_id.encode() in polled.content  # the HTTP VEN polls the same event set
    await ven.settle()
    answers = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
    )
    assert [(a.payload.ven_id, a.payload.opt_type) for a in answers] == [(ven.ven_id, "optIn")]  # type: ignore[union-attr]
    assert await _undelivered(db, ven.ven_id) == 0


async def test_reports_both_ways_and_a_vtn_initiated_cancel_travel_over_xmpp(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    xmpp_vens: Callable[..., Awaitable[XmppVen]],
    unique: Callable[[str], str],
) -> None:
    """EiReport: the VEN's oadrRegisterReport as a request, the VTN's oadrCreateReport pushed and answered with
    oadrCreatedReport; EiRegisterParty: the VTN's oadrCancelPartyRegistration pushed, its answer ends the
    registration."""
    ven = await xmpp_vens(unique("xmpp-reports"))
    body = create_message(
        "oadrRegisterReport", request_id=new_request_id(), ven_id=ven.ven_id, reports=metadata(), report_request_id="0"
    ).encode()
    registered = await ven.request(body)
    assert b"<responseCode>200<" in registered
    await _undelivered(db, ven.ven_id)

    asked = await admin.post(
        f"/reports/{ven.ven_id}/requests",
        json={"report_specifier_id": "history", "granularity": "PT15M", "report_back_duration": "PT0M",
              "report_interval": {"dtstart": "2026-01-01T00:00:00+00:00", "duration": "PT1H"}},
    )  # fmt: skip
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["requests"][0]["report_request_id"]
    await ven.wait_for(lambda p: p.message_type == "oadrCreateReport" and request_id in p.report_request_ids)

    async def status() -> str | None:
        found: str | None = await db.fetchval(
            "SELECT status FROM report_requests WHERE report_request_id = $1", request_id
        )
        return found

    await _until(status, "created")

    cancelled = await admin.post(f"/vens/{ven.ven_id}/cancel-registration")
    assert cancelled.status_code == 202, cancelled.text
    cancel = await ven.wait_for_type("oadrCancelPartyRegistration")
    assert cancel.registration_id == ven.registration_id

    async def still_registered() -> bool:
        return bool((await admin.get(f"/vens/{ven.ven_id}")).json()["registered"])

    await _until(still_registered, False)


async def test_a_certificate_of_another_ca_cannot_log_in(
    vtn: RunningVtn, xmpp_vens: Callable[..., Awaitable[XmppVen]], unique: Callable[[str], str]
) -> None:
    with pytest.raises(TimeoutError):
        await xmpp_vens(unique("xmpp-stranger"), register=False, ca="other-ca")


async def test_a_ven_naming_another_certificates_jid_or_another_vens_id_is_refused(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    xmpp_vens: Callable[..., Awaitable[XmppVen]],
    unique: Callable[[str], str],
) -> None:
    """The JID is the certificate: registering another certificate's JID as the transport address is refused,
    and a request naming another VEN's venID is refused as over HTTPS (463: not bound to this certificate)."""
    victim = await xmpp_vens(unique("xmpp-victim"))
    impostor = await xmpp_vens(unique("xmpp-impostor"), register=False)
    refused = await impostor.register(transport_address=victim.jid)
    assert b"<responseCode>200<" not in refused and not impostor.ven_id
    assert b"names another certificate" in refused

    poll_as_victim = create_message("oadrRequestEvent", request_id=new_request_id(), ven_id=victim.ven_id).encode()
    answer = await impostor.request(poll_as_victim)
    assert b"<responseCode>463<" in answer and b"is not bound to this certificate" in answer

    with pytest.raises(AskFailed, match="not-allowed"):  # VENs talk to the VTN only, not to each other
        await impostor.connection.ask(victim.jid, element_of(xmpp_form(poll_as_victim)), 5)
    assert account_of(victim.certificate) != account_of(impostor.certificate)


async def test_a_ven_offline_for_30_seconds_and_a_restarted_connector_lose_nothing_and_double_nothing(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    xmpp_vens: Callable[..., Awaitable[XmppVen]],
    unique: Callable[[str], str],
) -> None:
    """Offline: messages wait in the VEN's queue and arrive in order once it is back. The connector killed and
    started again: what it had not delivered is delivered by the new one, once."""
    ven = await xmpp_vens(unique("xmpp-offline"))
    ven.answer_events = False
    await ven.disconnect()
    event_ids = [unique(f"offline-{i}") for i in range(3)]
    for event_id in event_ids:
        created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))
        assert created.status_code == 201, created.text
    await asyncio.sleep(10)
    vtn.restart("gateway.xmpp", kill=True)
    await asyncio.sleep(20)
    assert (
        await undelivered(db, ven.ven_id) >= 1
    )  # waiting (event sets not yet delivered may be folded into the newest)
    later = unique("offline-later")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=later))).status_code == 201
    await ven.connect()
    for event_id in [*event_ids, later]:
        await ven.wait_for(carrying(event_id), timeout=30, what=event_id)
    assert await _undelivered(db, ven.ven_id) == 0
    await asyncio.sleep(2)
    sets = [p for p in ven.received if p.message_type == "oadrDistributeEvent"]
    firsts = [next(i for i, p in enumerate(sets) if any(x[0] == e for x in p.events)) for e in [*event_ids, later]]
    assert firsts == sorted(firsts)  # in order
    assert len(sets) == len({p.request_id for p in sets})  # nothing pushed twice

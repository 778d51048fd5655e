"""HTTP push (OpenADR 2.0b simple HTTP, push model) on the real stack: a VEN that registers with
oadrHttpPullModel false gets every message the VTN queues for it POSTed to its transport address, and its
answers move things along as if it had sent them in requests. Every pushed document is checked against the
official 2.0b schema (tests/integration/push_ven.py)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message, parse_message

from bench.loadgen import messages
from bench.loadgen.push_server import PushVenServer
from shared import topics
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.push_ven import PushVen, push_server, undelivered  # noqa: F401 - a fixture
from tests.integration.raw_ven import new_request_id
from tests.integration.test_reports import metadata
from tests.integration.test_vtn_reports import report_request
from tests.stack import ADMIN_PORT, RunningVtn, find_on_topic

KAFKA_PORT = os.environ.get("VTN_KAFKA_BOOTSTRAP", "127.0.0.1:19092").rpartition(":")[2]


async def push_ven(http: httpx.AsyncClient, server: PushVenServer, name: str, schema: etree.XMLSchema) -> PushVen:
    ven = PushVen(http, server, name, schema)
    answer = await ven.register()
    assert ven.ven_id, answer.text
    return ven


async def test_a_push_registration_is_stored_shown_and_answered_without_a_poll_frequency(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    """2.0b schema: oadrRequestedOadrPollFreq is "HTTP Pull Only"; the transport address is kept and shown."""
    ven = PushVen(http, push_server, unique("push-reg"), official_schema)
    answer = await ven.register()
    assert "<ei:responseCode>200<" in answer.text
    assert "oadrRequestedOadrPollFreq" not in answer.text
    view = (await admin.get(f"/vens/{ven.ven_id}")).json()
    assert (view["http_pull_model"], view["transport_address"]) == (False, ven.address)

    registered = await find_on_topic(vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, lambda e: e.ven_id == ven.ven_id)
    assert [(e.payload.http_pull_model, e.payload.transport_address) for e in registered] == [  # type: ignore[union-attr]
        (False, ven.address)
    ]


async def test_an_event_arrives_by_push_and_the_created_event_is_recorded(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await push_ven(http, push_server, unique("push-event"), official_schema)
    started = time.monotonic()
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("event")))
    assert created.status_code == 201, created.text
    event_id = created.json()["event"]["descriptor"]["event_id"]

    pushed = await ven.wait_for(lambda p: any(e[0] == event_id for e in p.events), what="the event set")
    assert pushed.service == "EiEvent" and pushed.message_type == "oadrDistributeEvent"
    assert time.monotonic() - started < 5
    await ven.settle()
    answers = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
    )
    assert [(a.payload.ven_id, a.payload.opt_type) for a in answers] == [(ven.ven_id, "optIn")]  # type: ignore[union-attr]
    event = (await admin.get(f"/events/{event_id}")).json()
    assert [(a["ven_id"], a["opt_type"]) for a in event["answers"]] == [(ven.ven_id, "optIn")]
    assert await _undelivered(db, ven.ven_id) == 0


async def _undelivered(db: asyncpg.Connection, ven_id: str, timeout: float = 10.0) -> int:
    """The VEN's undelivered messages, once the deliveries under way are recorded (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        count = await undelivered(db, ven_id)
        if count == 0 or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.1)


async def test_report_requests_cancels_the_vtns_metadata_and_reports_arrive_by_push_and_their_answers_count(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    """EiReport over push: the VEN's oadrCreatedReport / oadrCanceledReport / oadrRegisteredReport /
    oadrUpdatedReport answers move the requests along as the same messages sent as requests do."""
    ven = await push_ven(http, push_server, unique("push-reports"), official_schema)
    registered = await http.post(
        "/EiReport",
        content=create_message(
            "oadrRegisterReport",
            request_id=new_request_id(),
            ven_id=ven.ven_id,
            reports=metadata(),
            report_request_id="0",
        ).encode(),
    )
    assert "<ei:responseCode>200<" in registered.text
    await _undelivered(db, ven.ven_id)  # nothing else queued for it meanwhile

    asked = await admin.post(
        f"/reports/{ven.ven_id}/requests",
        json={"report_specifier_id": "history", "granularity": "PT15M", "report_back_duration": "PT0M",
              "report_interval": {"dtstart": "2026-01-01T00:00:00+00:00", "duration": "PT1H"}},
    )  # fmt: skip
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["requests"][0]["report_request_id"]
    create = await ven.wait_for(lambda p: p.message_type == "oadrCreateReport" and request_id in p.report_request_ids)
    assert create.service == "EiReport"
    await _until(lambda: _request_status(db, request_id), "created")

    cancelled = await admin.post(f"/reports/{ven.ven_id}/requests/{request_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    await ven.wait_for(lambda p: p.message_type == "oadrCancelReport" and request_id in p.report_request_ids)
    await _until(lambda: _request_status(db, request_id), "cancelled")

    published = await admin.post("/vtn-reports/publish", json={"ven_ids": [ven.ven_id]})
    assert published.status_code == 202, published.text
    offer = await ven.wait_for_type("oadrRegisterReport")
    assert offer.service == "EiReport"
    await _until(
        lambda: db.fetchval(
            "SELECT acknowledged_at IS NOT NULL FROM vtn_report_registrations WHERE ven_id = $1 AND request_id = $2",
            ven.ven_id, offer.request_id,
        ),
        True,
    )  # fmt: skip

    once = unique("status-once")
    kind, created = await _report_request_for_vtn_status(http, ven.ven_id, once)
    assert (kind, created["response"]["response_code"]) == ("oadrCreatedReport", 200)
    update = await ven.wait_for(lambda p: p.message_type == "oadrUpdateReport" and once in p.report_request_ids)
    assert update.service == "EiReport"
    await _until(
        lambda: db.fetchval(
            "SELECT last_sent_acknowledged FROM vtn_report_requests WHERE ven_id = $1 AND report_request_id = $2",
            ven.ven_id, once,
        ),
        True,
    )  # fmt: skip
    assert await _undelivered(db, ven.ven_id) == 0


async def test_a_vtn_initiated_reregistration_and_cancel_arrive_by_push_and_the_cancel_ends_the_registration(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await push_ven(http, push_server, unique("push-cancel"), official_schema)
    asked = await admin.post(f"/vens/{ven.ven_id}/request-reregistration")
    assert asked.status_code == 202, asked.text
    again = await ven.wait_for_type("oadrRequestReregistration")
    assert again.service == "EiRegisterParty"

    cancelled = await admin.post(f"/vens/{ven.ven_id}/cancel-registration")
    assert cancelled.status_code == 202, cancelled.text
    cancel = await ven.wait_for_type("oadrCancelPartyRegistration")
    assert (cancel.service, cancel.registration_id) == ("EiRegisterParty", ven.registration_id)

    async def registered() -> bool:
        return bool((await admin.get(f"/vens/{ven.ven_id}")).json()["registered"])

    await _until(registered, False)
    events = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.REGISTRATION_EVENTS,
        lambda e: e.ven_id == ven.ven_id and e.payload.change == "cancelled",  # type: ignore[union-attr]
    )
    assert len(events) == 1  # the answer and the delivery record do not cancel it twice
    assert ven.endpoint.types_received() == ["oadrRequestReregistration", "oadrCancelPartyRegistration"]


async def _report_request_for_vtn_status(
    http: httpx.AsyncClient, ven_id: str, report_request_id: str
) -> tuple[str, dict[str, Any]]:
    body = create_message(
        "oadrCreateReport", request_id=new_request_id(), ven_id=ven_id,
        report_requests=[report_request(report_request_id, "vtn-status", "vtn-status", timedelta(0), timedelta(0))],
    )  # fmt: skip
    answer = await http.post("/EiReport", content=body.encode())
    parsed: tuple[str, dict[str, Any]] = parse_message(answer.content)
    return parsed


async def _request_status(db: asyncpg.Connection, report_request_id: str) -> str | None:
    status: str | None = await db.fetchval(
        "SELECT status FROM report_requests WHERE report_request_id = $1", report_request_id
    )
    return status


async def _until(read: Callable[[], Awaitable[object]], wanted: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (found := await read()) != wanted:
        assert time.monotonic() < deadline, f"still {found!r}, not {wanted!r}"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    "address",
    [
        None,  # a push VEN must say where
        "ftp://127.0.0.1:9999/",
        f"http://127.0.0.1:{ADMIN_PORT}/",  # the VTN's own admin API
        f"http://localhost:{KAFKA_PORT}",  # the VTN's Kafka broker (a name for the loopback address)
        "http://169.254.169.254/latest/meta-data",  # cloud metadata, reachable from many hosts
        "http://10.1.2.3:8443",  # a private network the operator did not list
        "http://[fd00:ec2::254]/",
        "http://user:secret@127.0.0.1:9999/",
    ],
)
async def test_a_push_registration_to_an_address_the_vtn_may_not_reach_is_refused_with_454(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
    address: str | None,
) -> None:
    """SSRF: the transport address comes from the VEN. Refused at registration, before any connection."""
    ven = PushVen(http, push_server, unique("ssrf"), official_schema)
    body = messages.create_party_registration(
        new_request_id(), ven.name, transport_address=address or "", http_pull_model=False
    )
    answer = await http.post("/EiRegisterParty", content=body)
    assert answer.status_code == 200
    assert "<ei:responseCode>454<" in answer.text, answer.text
    assert "<ei:venID>" not in answer.text
    assert (await admin.get("/vens", params={"ven_name_prefix": ven.name})).json() == []
    assert push_server.requests == 0

"""HTTP push (OpenADR 2.0b simple HTTP, push model) on the real stack: a VEN that registers with
oadrHttpPullModel false gets every message the VTN queues for it POSTed to its transport address, and its
answers move things along as if it had sent them in requests. Every pushed document is checked against the
official 2.0b schema (tests/integration/push_ven.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from lxml import etree

from bench.loadgen.push_server import PushVenServer
from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.push_ven import PushVen
from tests.stack import RunningVtn, find_on_topic


@pytest.fixture
async def push_server() -> AsyncIterator[PushVenServer]:
    server = PushVenServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def push_ven(
    http: httpx.AsyncClient, server: PushVenServer, name: str, schema: etree.XMLSchema
) -> PushVen:
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

    registered = await find_on_topic(
        vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, lambda e: e.ven_id == ven.ven_id
    )
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
        count = int(
            await db.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven_id)
        )
        if count == 0 or time.monotonic() > deadline:
            return count
        await asyncio.sleep(0.1)

"""Events end to end with a raw VEN (OpenLEADR-made XML): created through the admin API and the Kafka command
door, delivered on the next poll as the VEN's full set, answered, modified, cancelled, targeted by group,
moved along far -> near -> active -> completed by the clock, opted, and delivered after event_svc was down.
Every document the VTN sends here is checked against the official 2.0b schema."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from lxml import etree

from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.events import CreateEvent, EventResponseFact, OptFact
from shared.contract.ven_traffic import PendingDelivered
from tests.integration.event_ven import EventVen, simple_event
from tests.integration.raw_ven import new_request_id
from tests.stack import RunningVtn, find_on_topic


async def registered(http: httpx.AsyncClient, name: str, schema: etree.XMLSchema) -> EventVen:
    ven = EventVen(http, name, schema)
    await ven.register()
    return ven


async def distribute_on_poll(ven: EventVen, timeout: float = 20.0) -> dict[str, Any]:
    """Poll until an oadrDistributeEvent arrives (other messages, e.g. report requests, are skipped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kind, payload = await ven.next_message()
        if kind == "oadrDistributeEvent":
            return payload
        await asyncio.sleep(0.3)
    raise AssertionError("no oadrDistributeEvent arrived")


async def nothing_more(ven: EventVen) -> None:
    for _ in range(3):
        kind, _ = await ven.next_message()
        assert kind != "oadrDistributeEvent"


def descriptors(payload: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (
            e["event_descriptor"]["event_id"],
            e["event_descriptor"]["modification_number"],
            e["event_descriptor"]["event_status"],
        )
        for e in payload.get("events", [])
    ]


async def test_an_event_reaches_the_ven_once_and_its_answer_is_stored_published_and_handled(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await registered(http, unique("event-ven"), official_schema)
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("event")))
    assert created.status_code == 201, created.text
    event_id = created.json()["event"]["descriptor"]["event_id"]

    payload = await distribute_on_poll(ven)
    assert descriptors(payload) == [(event_id, 0, "far")]
    [event] = payload["events"]
    assert event["targets"] == [{"ven_id": ven.ven_id}]  # an eiTarget matching the VEN
    await nothing_more(ven)  # an unchanged set is not re-sent

    kind, answer = await ven.answer(event_id, 0, "optIn", payload["request_id"])
    assert kind == "oadrResponse" and answer["response"]["response_code"] == 200
    facts = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
    )
    assert [(f.payload.ven_id, f.payload.opt_type) for f in facts] == [(ven.ven_id, "optIn")]  # type: ignore[union-attr]
    view = (await admin.get(f"/events/{event_id}")).json()
    assert [(a["ven_id"], a["opt_type"], a["source"]) for a in view["answers"]] == [
        (ven.ven_id, "optIn", "created_event")
    ]
    deadline = time.monotonic() + 15
    while f"created_event {ven.ven_id} {event_id} optIn" not in vtn.hook_calls():
        assert time.monotonic() < deadline, "on_created_event was not called"
        await asyncio.sleep(0.2)


async def test_a_resent_answer_is_published_once_and_a_changed_one_again(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await registered(http, unique("resending-ven"), official_schema)
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("event")))
    event_id = created.json()["event"]["descriptor"]["event_id"]
    payload = await distribute_on_poll(ven)
    for _ in range(3):  # the VEN did not get (or trust) the VTN's answer and sends it again
        kind, answer = await ven.answer(event_id, 0, "optIn", payload["request_id"])
        assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
    kind, answer = await ven.answer(event_id, 0, "optOut", payload["request_id"])
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)

    # Facts of one VEN are published in order: once the optOut has been handled, any repeat came before it.
    deadline = time.monotonic() + 15
    while f"created_event {ven.ven_id} {event_id} optOut" not in vtn.hook_calls():
        assert time.monotonic() < deadline, "on_created_event was not called for the changed answer"
        await asyncio.sleep(0.2)
    facts = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
    )
    assert [f.payload.opt_type for f in facts] == ["optIn", "optOut"]  # type: ignore[union-attr]
    assert vtn.hook_calls().count(f"created_event {ven.ven_id} {event_id} optIn") == 1


async def test_modification_and_cancellation_reach_the_ven_and_old_answers_are_refused(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("modified-ven"), official_schema)
    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201
    await distribute_on_poll(ven)

    changed = simple_event((ven.ven_id,), minutes=10)
    modified = await admin.patch(
        f"/events/{event_id}",
        json={
            "active_period": changed["active_period"],
            "signals": changed["signals"],
            "modification_reason": "longer",
        },
    )
    assert modified.status_code == 200, modified.text
    payload = await distribute_on_poll(ven)
    assert descriptors(payload) == [(event_id, 1, "far")]
    kind, stale = await ven.answer(event_id, 0, "optIn")
    assert stale["response"]["response_code"] == 450
    kind, fresh = await ven.answer(event_id, 1, "optOut")
    assert fresh["response"]["response_code"] == 200

    cancelled = await admin.post(f"/events/{event_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["event"]["descriptor"]["event_status"] == "cancelled"
    payload = await distribute_on_poll(ven)
    assert descriptors(payload) == [(event_id, 2, "cancelled")]
    assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 409


async def test_a_group_event_reaches_exactly_the_vens_in_the_group(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    group = unique("group")
    members = [await registered(http, unique("member"), official_schema) for _ in range(2)]
    outsider = await registered(http, unique("outsider"), official_schema)
    for ven in members:
        answer = await admin.put(f"/vens/{ven.ven_id}/memberships", json={"group_ids": [group]})
        assert answer.status_code == 200 and answer.json()["group_ids"] == [group]
    body = simple_event(event_id=unique("group-event"))
    body["targets"] = {"group_ids": [group]}
    event_id = (await admin.post("/events", json=body)).json()["event"]["descriptor"]["event_id"]
    for ven in members:
        assert descriptors(await distribute_on_poll(ven)) == [(event_id, 0, "far")]
    await nothing_more(outsider)
    kind, asked = await outsider.request_events()
    assert kind == "oadrDistributeEvent" and descriptors(asked) == []
    listed = (await admin.get("/events", params={"ven_id": members[0].ven_id})).json()
    assert event_id in [e["event"]["descriptor"]["event_id"] for e in listed]
    assert event_id not in [
        e["event"]["descriptor"]["event_id"]
        for e in (await admin.get("/events", params={"ven_id": outsider.ven_id})).json()
    ]
    view = (await admin.get(f"/events/{event_id}")).json()
    assert sorted(a["ven_id"] for a in view["answers"]) == sorted(v.ven_id for v in members)
    assert all(a["opt_type"] is None for a in view["answers"])  # targeted, not answered yet


async def test_request_event_honours_reply_limit_and_priority(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("limit-ven"), official_schema)
    for priority in (3, 1, 2):
        body = simple_event((ven.ven_id,), event_id=unique(f"p{priority}"), priority=priority)
        assert (await admin.post("/events", json=body)).status_code == 201
    kind, everything = await ven.request_events()
    assert [d[0].split("-")[0] for d in descriptors(everything)] == ["p1", "p2", "p3"]
    kind, limited = await ven.request_events(reply_limit=2)
    assert [d[0].split("-")[0] for d in descriptors(limited)] == ["p1", "p2"]


async def test_status_moves_with_the_clock_without_operator_action(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("clock-ven"), official_schema)
    body = simple_event((ven.ven_id,), event_id=unique("soon"), minutes_out=4 / 60, minutes=3 / 60)
    body["active_period"]["ramp_up_period"] = None
    body["active_period"]["x_ei_ramp_up"] = "PT2S"
    del body["active_period"]["ramp_up_period"]
    assert (await admin.post("/events", json=body)).status_code == 201, body
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while "completed" not in seen and time.monotonic() < deadline:
        kind, payload = await ven.next_message()
        if kind == "oadrDistributeEvent":
            [(_, _, status)] = descriptors(payload)
            seen.append(status)
            if status == "active":
                assert payload["events"][0]["event_signals"][0]["current_value"] == 1
        await asyncio.sleep(0.2)
    assert seen == ["far", "near", "active", "completed"]


async def test_answers_for_unknown_events_and_wrong_case_ven_ids_are_refused(
    http: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("CaseVen"), official_schema)
    kind, unknown = await ven.answer("no-such-event", 0, "optIn")
    assert unknown["response"]["response_code"] == 452
    assert ven.ven_id is not None
    kind, wrong_case = await ven.answer("no-such-event", 0, "optIn", ven_id=ven.ven_id.swapcase())
    assert wrong_case["response"]["response_code"] == 452


async def test_impossible_events_are_refused_with_clear_errors(admin: httpx.AsyncClient) -> None:
    body = simple_event(("some-ven",))
    body["signals"][0]["intervals"][0]["duration"] = "PT60S"
    answer = await admin.post("/events", json=body)
    assert answer.status_code == 422 and "add up to" in answer.json()["detail"]


async def test_create_opt_takes_precedence_and_opts_are_stored_and_published(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await registered(http, unique("opt-ven"), official_schema)
    event_id = unique("opted")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201
    opt_id = unique("opt")
    kind, created = await ven.exchange(
        "EiOpt",
        "oadrCreateOpt",
        opt_id=opt_id,
        opt_type="optIn",
        opt_reason="participating",
        ven_id=ven.ven_id,
        event_id=event_id,
        modification_number=0,
        request_id=new_request_id(),
        created_date_time=datetime.now(UTC),
    )
    assert kind == "oadrCreatedOpt" and created["response"]["response_code"] == 200
    kind, _ = await ven.answer(event_id, 0, "optOut")
    view = (await admin.get(f"/events/{event_id}")).json()
    assert [(a["opt_type"], a["source"]) for a in view["answers"]] == [("optIn", "opt")]
    opts = (await admin.get("/opts", params={"ven_id": ven.ven_id})).json()
    assert [o["opt"]["opt_id"] for o in opts] == [opt_id]
    published = await find_on_topic(
        vtn.kafka_bootstrap, topics.OPT_EVENTS, lambda e: isinstance(e.payload, OptFact) and e.payload.opt_id == opt_id
    )
    assert [f.payload.change.value for f in published] == ["created"]  # type: ignore[union-attr]
    kind, resent = await ven.exchange(
        "EiOpt",
        "oadrCreateOpt",
        opt_id=opt_id,
        opt_type="optIn",
        opt_reason="economic",
        ven_id=ven.ven_id,
        event_id=event_id,
        modification_number=0,
        request_id=new_request_id(),
        created_date_time=datetime.now(UTC),
    )
    assert resent["response"]["response_code"] == 200
    [stored] = (await admin.get("/opts", params={"ven_id": ven.ven_id})).json()
    assert stored["opt"]["opt_reason"] == "economic"  # resending an optID replaces it
    kind, cancelled = await ven.exchange(
        "EiOpt", "oadrCancelOpt", opt_id=opt_id, ven_id=ven.ven_id, request_id=new_request_id()
    )
    assert kind == "oadrCanceledOpt" and cancelled["response"]["response_code"] == 200
    kind, unknown = await ven.exchange(
        "EiOpt", "oadrCancelOpt", opt_id=unique("nope"), ven_id=ven.ven_id, request_id=new_request_id()
    )
    assert unknown["response"]["response_code"] == 452


async def test_an_event_created_while_event_svc_is_down_is_delivered_once_after_it_returns(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = await registered(http, unique("outage-ven"), official_schema)
    event_id = unique("while-down")
    body = simple_event((ven.ven_id,), event_id=event_id)
    command = CreateEvent.model_validate(body)
    process = vtn.processes["event_svc"]
    process.stop(timeout=20)
    try:
        producer = clients.producer(KafkaConnection(vtn.kafka_bootstrap))
        await producer.start()
        try:
            envelope = Envelope(key=event_id, payload=command)
            for _ in range(2):  # a backend retrying the same command: still one event
                await producer.send_and_wait(topics.EVENT_COMMANDS, envelope.to_bytes(), key=envelope.kafka_key())
        finally:
            await producer.stop()
    finally:
        process.start()
    payload = await distribute_on_poll(ven, timeout=60)
    assert descriptors(payload) == [(event_id, 0, "far")]
    await nothing_more(ven)
    assert await db.fetchval("SELECT count(*) FROM events WHERE event_id = $1", event_id) == 1
    sent = await db.fetchval(
        "SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND message_type = 'oadrDistributeEvent'", ven.ven_id
    )
    assert sent == 1


async def test_a_vens_only_pending_set_is_handed_out_by_the_gateway_and_recorded_as_delivered(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    """The burst fast path (shared.db.pending): the notice carries the set, the gateway answers the poll
    itself and reports the handout on oadr.poll.requests.v1; registration_svc marks the row delivered."""
    ven = await registered(http, unique("handout-ven"), official_schema)
    quiet = 0
    while quiet < 3:  # drain whatever registration queued (e.g. the VTN's own report metadata)
        kind, _ = await ven.next_message()
        quiet = quiet + 1 if kind == "oadrResponse" else 0
        await asyncio.sleep(0.5)
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("handout")))
    assert created.status_code == 201, created.text
    payload = await distribute_on_poll(ven)
    assert len(payload["events"]) == 1
    handouts = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.POLL_REQUESTS,
        lambda e: isinstance(e.payload, PendingDelivered) and e.payload.ven_id == ven.ven_id,
    )
    [row] = await db.fetch(
        "SELECT id, delivered_at FROM pending_messages WHERE ven_id = $1 AND message_type = 'oadrDistributeEvent'",
        ven.ven_id,
    )
    assert [h.payload.pending_id for h in handouts] == [row["id"]]  # type: ignore[union-attr]
    deadline = time.monotonic() + 15
    while await db.fetchval("SELECT delivered_at FROM pending_messages WHERE id = $1", row["id"]) is None:
        assert time.monotonic() < deadline, "the handout was never recorded as delivered"
        await asyncio.sleep(0.2)
    await nothing_more(ven)

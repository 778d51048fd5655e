"""Many events created with one admin call (`POST /api/v1/event-batches`): all of them or none, the refusal
naming the event by its position; answered in order; retried with its Idempotency-Key without creating
anything twice; and delivered in one fan-out round, each VEN's set queued once with every event of the batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from lxml import etree

from tests.integration.event_ven import simple_event
from tests.integration.test_events import descriptors, distribute_on_poll, nothing_more, registered


async def set_version(db: asyncpg.Connection, ven_id: str) -> int:
    """How many sets the VTN has queued for the VEN so far."""
    return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM ven_event_sets WHERE ven_id = $1", ven_id))


def event_ids(answer: httpx.Response) -> list[str]:
    return [view["event"]["descriptor"]["event_id"] for view in answer.json()]


async def test_a_batch_is_created_in_order_and_each_ven_gets_one_set_with_all_its_events(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,  # of the running stack
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    both = await registered(http, unique("batch-ven"), official_schema)
    one = await registered(http, unique("batch-ven"), official_schema)
    given = [unique("batch-event") for _ in range(3)]
    bodies = [
        simple_event((both.ven_id, one.ven_id), event_id=given[0], priority=2),
        simple_event((both.ven_id,), minutes_out=20, priority=1),  # the VTN names this one
        simple_event((both.ven_id,), event_id=given[2], minutes_out=30, priority=1),
    ]
    earlier = unique("batch-earlier")
    assert (await admin.post("/events", json=simple_event((both.ven_id,), event_id=earlier))).status_code == 201
    assert descriptors(await distribute_on_poll(both)) == [(earlier, 0, "far")]  # its set rows are settled now
    before = await set_version(db, both.ven_id)

    created = await admin.post("/event-batches", json={"events": bodies})

    assert created.status_code == 201, created.text
    ids = event_ids(created)
    assert ids[0] == given[0] and ids[2] == given[2] and ids[1] not in given
    assert [view["event"]["descriptor"]["modification_number"] for view in created.json()] == [0, 0, 0]
    payload = await distribute_on_poll(both)
    assert sorted(descriptors(payload)) == sorted((event_id, 0, "far") for event_id in [earlier, *ids])
    assert descriptors(await distribute_on_poll(one)) == [(ids[0], 0, "far")]
    await nothing_more(both)
    assert await set_version(db, both.ven_id) == before + 1  # one fan-out round for the three events
    for event_id in ids:
        assert (await admin.get(f"/events/{event_id}")).status_code == 200


async def test_a_batch_with_one_impossible_event_creates_none_and_names_it(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("batch-refused-ven"), official_schema)
    first = unique("batch-refused")
    impossible = simple_event((ven.ven_id,))
    impossible["signals"][0]["intervals"][0]["duration"] = "PT60S"  # intervals not adding up to the event
    refusals: list[tuple[list[dict[str, Any]], int, str]] = [
        ([simple_event((ven.ven_id,), event_id=first), impossible], 422, "events[1]: "),
        ([simple_event((ven.ven_id,), event_id=first), simple_event((unique("nobody"),))], 404, "events[1]: "),
        (
            [simple_event((ven.ven_id,)), simple_event((ven.ven_id,), event_id=first)] * 2,
            422,
            f"events[3]: event_id '{first}' is given twice (also events[1])",
        ),
    ]
    for bodies, status, detail in refusals:
        answer = await admin.post("/event-batches", json={"events": bodies})
        assert answer.status_code == status, answer.text
        assert answer.json()["detail"].startswith(detail)
    assert (await admin.get(f"/events/{first}")).status_code == 404  # rolled back with the refused one
    malformed = await admin.post("/event-batches", json={"events": [simple_event((ven.ven_id,)), {"targets": {}}]})
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"][:3] == ["body", "events", 1]
    assert (await admin.post("/event-batches", json={"events": []})).status_code == 422
    await nothing_more(ven)


async def test_a_batch_larger_than_the_bound_is_refused_with_413(admin: httpx.AsyncClient) -> None:
    answer = await admin.post("/event-batches", json={"events": [simple_event(("some-ven",))] * 101})
    assert answer.status_code == 413 and "at most 100" in answer.json()["detail"]


async def test_a_retried_batch_gets_the_first_answer_and_creates_nothing_twice(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = await registered(http, unique("batch-retry-ven"), official_schema)
    body = {"events": [simple_event((ven.ven_id,)), simple_event((ven.ven_id,), minutes_out=20)]}
    headers = {"Idempotency-Key": unique("batch-key")}
    first = await admin.post("/event-batches", json=body, headers=headers)
    again = await admin.post("/event-batches", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert event_ids(again) == event_ids(first)
    listed = (await admin.get("/events", params={"ven_id": ven.ven_id})).json()
    assert sorted(view["event"]["descriptor"]["event_id"] for view in listed) == sorted(event_ids(first))

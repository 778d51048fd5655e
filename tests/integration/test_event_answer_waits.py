"""Event sets a VEN never answered are sent again on its polls (event_svc.answer_waits), by event_svc's own
periodic look: a raw VEN (OpenLEADR-made XML, every document checked against the official 2.0b schema) that
does not answer gets its set again, then once more after each miss up to the limit, and nothing after it
answers; an event that needs no answer is not sent again; and OpenLEADR's own VEN, whose poll answer carrying
an event is lost, gets the event and answers it. Each test moves its VEN's clock marks an hour back rather
than waiting a real minute (tests.integration.confirmation_clock)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from lxml import etree

from tests.integration.answer_dropping_proxy import AnswerDroppingProxy
from tests.integration.confirmation_clock import an_hour_passes, event_set_looked_at
from tests.integration.event_ven import EventVen, simple_event
from tests.integration.test_events import descriptors, distribute_on_poll, nothing_more, registered
from tests.integration.test_operations import metric_sample
from tests.interop.test_openleadr_events import AnsweringVen
from tests.stack import HEALTH_PORTS, RunningVtn
from tests.waiting import until, until_async


async def ven_with_unanswered_event(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str], schema: etree.XMLSchema, name: str
) -> tuple[EventVen, str, dict[str, Any]]:
    """A VEN that got an event on a poll but never answered it (as if the poll answer was lost): the VEN, the
    eventID and the oadrDistributeEvent."""
    ven = await registered(http, unique(name), schema)
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("event")))
    assert created.status_code == 201, created.text
    event_id: str = created.json()["event"]["descriptor"]["event_id"]
    return ven, event_id, await distribute_on_poll(ven)


async def test_a_set_the_ven_never_answered_comes_again_until_it_answers(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, event_id, lost = await ven_with_unanswered_event(http, admin, unique, official_schema, "unanswering-ven")

    assert ven.ven_id is not None
    await an_hour_passes(db, ven.ven_id)
    again = await distribute_on_poll(ven)
    assert descriptors(again) == descriptors(lost) == [(event_id, 0, "far")]
    assert again["request_id"] != lost["request_id"]  # a set sent anew, which the VEN's answer names
    kind, answer = await ven.answer(event_id, 0, "optIn", again["request_id"])
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)

    await an_hour_passes(db, ven.ven_id)
    row = await event_set_looked_at(db, ven.ven_id)
    assert (row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (1, None, None)
    await nothing_more(ven)


async def test_a_set_never_answered_is_given_up_after_its_last_resend(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    before = await event_svc_metrics()
    ven, event_id, _ = await ven_with_unanswered_event(http, admin, unique, official_schema, "deaf-event-ven")

    assert ven.ven_id is not None
    await an_hour_passes(db, ven.ven_id)
    assert descriptors(await distribute_on_poll(ven)) == [(event_id, 0, "far")]
    await an_hour_passes(db, ven.ven_id)  # the stack allows one resend (VTN_EVENT_RESEND_LIMIT=1)
    row = await event_set_looked_at(db, ven.ven_id)
    assert (row["resends"], row["confirm_by"]) == (1, None)
    assert row["unconfirmed_at"] is not None
    await nothing_more(ven)
    after = await event_svc_metrics()
    for outcome in ("sent_again", "gave_up"):  # at least this VEN's (others' sets may be looked at meanwhile)
        counted = [metric_sample(m, "vtn_event_set_resends_total", outcome=outcome) for m in (before, after)]
        assert counted[1] - counted[0] >= 1, outcome


async def event_svc_metrics() -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"http://127.0.0.1:{HEALTH_PORTS['event_svc']}/metrics")).text


async def test_an_event_that_needs_no_answer_is_not_sent_again(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await registered(http, unique("never-answers-ven"), official_schema)
    created = await admin.post(
        "/events", json=simple_event((ven.ven_id,), event_id=unique("event"), response_required="never")
    )
    assert created.status_code == 201, created.text
    await distribute_on_poll(ven)

    assert ven.ven_id is not None
    await an_hour_passes(db, ven.ven_id)
    row = await event_set_looked_at(db, ven.ven_id)
    assert (row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (0, None, None)
    await nothing_more(ven)


async def test_openleadrs_ven_whose_event_was_lost_gets_it_again_and_answers(
    vtn: RunningVtn, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    event_id = unique("event")
    proxy = AnswerDroppingProxy(vtn.url, event_id.encode(), in_answer=True)  # the first answer carrying the event
    ven = AnsweringVen(await proxy.start(), unique("lossy-event-ven"), "optIn")
    await ven.client.run()
    try:
        await until(lambda: ven.client.registration_id is not None, 15, "registration")
        created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))
        assert created.status_code == 201, created.text
        await until(lambda: proxy.dropped == 1, 30, "the oadrDistributeEvent to be lost")
        assert not ven.received

        await an_hour_passes(db, ven.ven_id)
        await until(lambda: (event_id, 0, "far") in ven.received, 30, "the event sent again")

        async def answered() -> bool:
            found = await db.fetchval(
                "SELECT opt_type FROM event_responses WHERE event_id = $1 AND ven_id = $2 AND modification_number = 0",
                event_id,
                ven.ven_id,
            )
            return bool(found == "optIn")

        await until_async(answered, 15, "OpenLEADR's answer to the event sent again")
        assert await db.fetchval("SELECT resends FROM ven_event_sets WHERE ven_id = $1", ven.ven_id) == 1
    finally:
        await ven.client.stop()
        await proxy.stop()

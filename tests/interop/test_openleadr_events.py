"""OpenLEADR's VEN (`OpenADRClient` with an `on_event` handler) receiving events created through the admin
API: its optIn (and a second VEN's optOut) reach the Kafka event-responses topic and the admin API; a
modification arrives with modificationNumber + 1 and is answered afresh; a cancellation arrives as
cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from openleadr import OpenADRClient

from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from tests.stack import RunningVtn, find_on_topic
from tests.integration.event_ven import simple_event
from tests.interop.test_openleadr_ven import until


class AnsweringVen:
    """An OpenADRClient that answers every event (and every update) with `opt_type`, recording what it got."""

    def __init__(self, vtn_url: str, ven_name: str, opt_type: str) -> None:
        self.client = OpenADRClient(ven_name=ven_name, vtn_url=vtn_url)
        self.received: list[tuple[str, int, str]] = []

        async def on_event(event: dict[str, Any]) -> str:
            descriptor = event["event_descriptor"]
            self.received.append(
                (descriptor["event_id"], descriptor["modification_number"], descriptor["event_status"])
            )
            return opt_type

        self.client.add_handler("on_event", on_event)
        self.client.add_handler("on_update_event", on_event)

    @property
    def ven_id(self) -> str:
        return str(self.client.ven_id)


@pytest.fixture
async def answering_vens(vtn: RunningVtn, unique: Callable[[str], str]) -> AsyncIterator[list[AnsweringVen]]:
    vens = [
        AnsweringVen(vtn.url, unique("opt-in-ven"), "optIn"),
        AnsweringVen(vtn.url, unique("opt-out-ven"), "optOut"),
    ]
    for ven in vens:
        await ven.client.run()
    try:
        for ven in vens:
            await until(lambda ven=ven: ven.client.registration_id is not None, 15, "registration")  # type: ignore[misc]
        yield vens
    finally:
        for ven in vens:
            await ven.client.stop()


def answers_for(event_id: str, modification_number: int) -> Callable[[Envelope], bool]:
    def matches(envelope: Envelope) -> bool:
        fact = envelope.payload
        return (
            isinstance(fact, EventResponseFact)
            and fact.event_id == event_id
            and fact.modification_number == modification_number
        )

    return matches


async def test_openleadr_vens_receive_answer_and_follow_modification_and_cancellation(
    vtn: RunningVtn, admin: httpx.AsyncClient, answering_vens: list[AnsweringVen], unique: Callable[[str], str]
) -> None:
    opt_in, opt_out = answering_vens
    event_id = unique("openleadr-event")
    created = await admin.post("/events", json=simple_event((opt_in.ven_id, opt_out.ven_id), event_id=event_id))
    assert created.status_code == 201, created.text

    await until(
        lambda: all((event_id, 0, "far") in v.received for v in answering_vens), 30, "both VENs to get the event"
    )
    facts = await find_on_topic(vtn.kafka_bootstrap, topics.EVENT_RESPONSES, answers_for(event_id, 0), timeout=30)
    answered = {(f.payload.ven_id, f.payload.opt_type) for f in facts}  # type: ignore[union-attr]
    assert answered == {(opt_in.ven_id, "optIn"), (opt_out.ven_id, "optOut")}
    view = (await admin.get(f"/events/{event_id}")).json()
    assert {(a["ven_id"], a["opt_type"]) for a in view["answers"]} == answered

    changed = simple_event((opt_in.ven_id, opt_out.ven_id), minutes=10)
    modified = await admin.patch(
        f"/events/{event_id}", json={"active_period": changed["active_period"], "signals": changed["signals"]}
    )
    assert modified.status_code == 200, modified.text
    await until(lambda: all((event_id, 1, "far") in v.received for v in answering_vens), 30, "the modification")
    facts = await find_on_topic(vtn.kafka_bootstrap, topics.EVENT_RESPONSES, answers_for(event_id, 1), timeout=30)
    assert {(f.payload.ven_id, f.payload.opt_type) for f in facts} == answered  # type: ignore[union-attr]

    assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 200
    await until(lambda: all((event_id, 2, "cancelled") in v.received for v in answering_vens), 30, "the cancellation")

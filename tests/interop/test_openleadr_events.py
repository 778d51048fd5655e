"""OpenLEADR's VEN (`OpenADRClient` with an `on_event` handler) receiving events created through the admin
API: its optIn (and a second VEN's optOut) reach the Kafka event-responses topic and the admin API; a
modification arrives with modificationNumber + 1 and is answered afresh; a cancellation arrives as
cancelled. With the VTN's default vtnID, the VEN's oadrCreatedEvent carries code 200 (OpenLEADR's VEN answers
452 to a vtnID whose letters are all lowercase)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from openleadr import OpenADRClient
from openleadr.messaging import parse_message

from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from shared.settings import VtnSettings
from tests.integration.event_ven import simple_event
from tests.stack import RunningVtn, find_on_topic
from tests.waiting import until


class AnsweringVen:
    """An OpenADRClient that answers every event (and every update) with `opt_type`, recording what it got."""

    def __init__(self, vtn_url: str, ven_name: str, opt_type: str) -> None:
        self.client = OpenADRClient(ven_name=ven_name, vtn_url=vtn_url)
        self.received: list[tuple[str, int, str]] = []
        self.created_event_codes: list[int] = []  # the eiResponse code of each oadrCreatedEvent it sent

        def record_created_event(xml: str) -> None:
            message_type, payload = parse_message(xml)
            if message_type == "oadrCreatedEvent":
                self.created_event_codes.append(int(payload["response"]["response_code"]))

        self.client.add_hook("before_send_xml", record_created_event)

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


async def test_openleadr_ven_accepts_the_default_vtn_id_and_answers_an_event_with_code_200(
    vtn: RunningVtn,
    vtn_env: dict[str, str],
    admin: httpx.AsyncClient,
    answering_vens: list[AnsweringVen],
    unique: Callable[[str], str],
) -> None:
    """OpenLEADR's VEN puts 452 (invalid ID) on its oadrCreatedEvent when the vtnID's letters are all lowercase
    (`vtn_id.islower()` in its client); the default vtnID must not be one of those."""
    assert "VTN_ID" not in vtn_env, "this test is about the default vtnID"
    ven = answering_vens[0]
    event_id = unique("vtn-id-event")
    created = await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))
    assert created.status_code == 201, created.text
    await until(lambda: (event_id, 0, "far") in ven.received, 30, "the VEN to get the event")
    await until(lambda: bool(ven.created_event_codes), 30, "the VEN's oadrCreatedEvent")
    assert set(ven.created_event_codes) == {200}, ven.created_event_codes
    assert not VtnSettings.model_fields["id"].default.islower()

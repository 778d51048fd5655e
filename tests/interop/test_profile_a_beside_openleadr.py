"""A 2.0a VEN and OpenLEADR's 2.0b VEN (`OpenADRClient`) targeted by one event, on the real stack: each gets it in
its own profile (the 2.0a VEN its SIMPLE signal alone, OpenLEADR's every signal), both follow its modification
and cancellation, and their answers reach `oadr.event.responses.v1` in one shape, told apart only by venID."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from shared import topics
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.test_profile_a import pull_until, versions
from tests.interop.test_openleadr_events import AnsweringVen, answering_vens, answers_for  # noqa: F401 - a fixture
from tests.interop.test_openleadr_ven import until
from tests.profile_a_ven import ProfileAVen
from tests.stack import HTTP_PORT, RunningVtn, find_on_topic


async def test_one_event_reaches_a_2_0a_and_a_2_0b_ven_each_in_its_profile_and_their_answers_look_alike(
    vtn: RunningVtn, admin: httpx.AsyncClient, answering_vens: list[AnsweringVen], unique: Callable[[str], str]
) -> None:
    openleadr_ven = answering_vens[0]  # it answers optIn
    a_ven_id = unique("a-ven")
    assert (await admin.post("/vens", json={"profile_name": "2.0a", "ven_id": a_ven_id})).status_code == 201
    event_id = unique("mixed-event")
    event = simple_event((a_ven_id, openleadr_ven.ven_id), event_id=event_id)
    price = {
        "signal_name": "ELECTRICITY_PRICE",
        "signal_type": "price",
        "signal_id": "price",
        "item_base": {
            "name": "currencyPerKWh",
            "description": "currencyPerKWh",
            "units": "USD",
            "si_scale_code": "none",
        },
        "intervals": event["signals"][0]["intervals"],
    }
    event["signals"].append(price)
    created = await admin.post("/events", json=event)
    assert created.status_code == 201, created.text

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{HTTP_PORT}", timeout=15) as root:
        a_ven = ProfileAVen(root, a_ven_id)
        seen = await pull_until(a_ven, lambda s: versions(s) == [(event_id, 0, "far")], "the event")
        assert [s.name for s in seen.events[0].signals] == ["simple"]  # its SIMPLE signal alone
        await a_ven.answer(seen, "optIn")
        await until(lambda: (event_id, 0, "far") in openleadr_ven.received, 30, "OpenLEADR's VEN to get the event")

        facts = await find_on_topic(vtn.kafka_bootstrap, topics.EVENT_RESPONSES, answers_for(event_id, 0))
        by_ven = {f.payload.ven_id: f.payload for f in facts if isinstance(f.payload, EventResponseFact)}
        assert set(by_ven) == {a_ven_id, openleadr_ven.ven_id}
        shapes = [fact.model_dump(exclude={"ven_id", "received_at", "request_id"}) for fact in by_ven.values()]
        assert shapes[0] == shapes[1]  # one shape, whatever the VEN's profile
        assert shapes[0]["opt_type"] == "optIn"

        changed = simple_event((a_ven_id, openleadr_ven.ven_id), minutes=10)
        modified = await admin.patch(
            f"/events/{event_id}", json={"active_period": changed["active_period"], "signals": changed["signals"]}
        )
        assert modified.status_code == 200, modified.text
        seen = await pull_until(a_ven, lambda s: versions(s) == [(event_id, 1, "far")], "the modification")
        await a_ven.answer(seen, "optIn")
        await until(
            lambda: (event_id, 1, "far") in openleadr_ven.received, 30, "OpenLEADR's VEN to get the modification"
        )
        facts = await find_on_topic(vtn.kafka_bootstrap, topics.EVENT_RESPONSES, answers_for(event_id, 1))
        assert {f.payload.ven_id for f in facts} == {a_ven_id, openleadr_ven.ven_id}  # type: ignore[union-attr]

        assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 200
        await pull_until(a_ven, lambda s: versions(s) == [(event_id, 2, "cancelled")], "the cancellation")
        await until(
            lambda: (event_id, 2, "cancelled") in openleadr_ven.received, 30, "OpenLEADR's VEN to get the cancellation"
        )

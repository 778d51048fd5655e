"""OpenLEADR's `on_request_event` and `on_poll` (VTN_ON_REQUEST_EVENT, VTN_ON_POLL): events decided in Python
reach a raw VEN (OpenLEADR-made XML) on oadrRequestEvent, up to replyLimit, and on oadrPoll once nothing is
pending, followed by a reregistration request; "nothing pending" is not cached, so the handler is asked on
every poll; a failing handler gets the VEN an OpenADR error, not a 500; a VEN answers only the handler events
it was given. Every answer passes the official XSD.

event_svc and registration_svc run here with tests/integration/decision_hooks.py, restored afterwards."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from tests.integration.event_ven import EventVen
from tests.integration.raw_ven import new_request_id
from tests.integration.secure_gateway import MakeVen, SignedVen, two_vens
from tests.integration.test_vtn_reports import ok
from tests.stack import HEALTH_PORTS, RunningVtn

HOOKS = {
    "VTN_ON_REQUEST_EVENT": "tests.integration.decision_hooks:on_request_event",
    "VTN_ON_POLL": "tests.integration.decision_hooks:on_poll",
}
SERVICES = ("event_svc", "registration_svc")


async def _serving(vtn: RunningVtn, timeout: float = 60.0) -> None:
    """Both services ready and consuming: a request for an unknown venID gets its 452 from each."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                ready = [await client.get(f"http://127.0.0.1:{HEALTH_PORTS[name]}/readyz") for name in SERVICES]
                unknown = f"probe-{new_request_id()}"
                probes = [
                    await client.post(
                        f"{vtn.url}/EiEvent",
                        content=create_message("oadrRequestEvent", request_id="p", ven_id=unknown).encode(),
                    ),
                    await client.post(
                        f"{vtn.url}/OadrPoll", content=create_message("oadrPoll", ven_id=unknown).encode()
                    ),
                ]
                if all(r.status_code == 200 for r in ready) and all("<ei:responseCode>452<" in p.text for p in probes):
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{SERVICES} did not come back:\n{vtn.processes['event_svc'].log_tail(20)}")
            await asyncio.sleep(0.5)


def _restart_all(vtn: RunningVtn) -> None:
    for name in SERVICES:
        vtn.restart(name)


@pytest.fixture(scope="module")
async def deciding(vtn: RunningVtn) -> AsyncIterator[RunningVtn]:
    saved = {}
    for name in SERVICES:
        process = vtn.processes[name]
        assert process.env is not None
        saved[name] = dict(process.env)
        process.env.update(HOOKS)
    _restart_all(vtn)
    await _serving(vtn)
    try:
        yield vtn
    finally:
        for name in SERVICES:
            vtn.processes[name].env = saved[name]
        _restart_all(vtn)
        await _serving(vtn)


async def test_events_decided_in_python_reach_the_ven_on_request_and_on_poll(
    deciding: RunningVtn, http: httpx.AsyncClient, official_schema: etree.XMLSchema, unique: Callable[[str], str]
) -> None:
    ven = EventVen(http, unique("deciding"), official_schema)  # exchange() checks every answer against the XSD
    await ven.register()
    ven_id = ven.ven_id
    assert ven_id is not None

    kind, payload = await ven.request_events()
    assert kind == "oadrDistributeEvent"
    events = payload["events"]
    assert [e["event_descriptor"]["event_id"] for e in events] == [f"hook-a-{ven_id}", f"hook-b-{ven_id}"]
    assert [e["event_descriptor"]["event_status"] for e in events] == ["active", "far"]
    assert [e["event_descriptor"]["modification_number"] for e in events] == [0, 0]
    assert events[0]["targets_by_type"]["ven_id"] == [ven_id]
    kind, payload = await ven.request_events(reply_limit=1)
    assert [e["event_descriptor"]["event_id"] for e in payload["events"]] == [f"hook-a-{ven_id}"]

    kind, payload = await ven.answer(f"hook-a-{ven_id}", 0, "optIn")
    assert kind == "oadrResponse" and payload["response"]["response_code"] == 200
    deadline = time.monotonic() + 20
    while f"created_event {ven_id} hook-a-{ven_id} optIn" not in deciding.hook_calls():
        assert time.monotonic() < deadline, "on_created_event was not called for the handler's event"
        await asyncio.sleep(0.3)

    kinds = []
    for _ in range(15):
        kind, payload = await ven.next_message()
        kinds.append(kind)
        if kind == "oadrDistributeEvent":
            assert [e["event_descriptor"]["event_id"] for e in payload["events"]] == [f"poll-{ven_id}"]
        if kinds[-3:] == ["oadrRequestReregistration", "oadrResponse", "oadrResponse"]:
            break
    assert kinds[-4:] == ["oadrDistributeEvent", "oadrRequestReregistration", "oadrResponse", "oadrResponse"], kinds
    assert deciding.hook_calls().count(f"poll {ven_id}") == 4  # "nothing pending" was not cached: asked every time

    marker = Path(str(deciding.hook_log) + ".raise")
    marker.write_text(f"{ven_id}\n")
    try:
        kind, payload = await ven.request_events()
    finally:
        marker.unlink()
    assert kind == "oadrResponse" and payload["response"]["response_code"] == 469


async def test_a_ven_answers_only_the_events_a_handler_gave_it(
    deciding: RunningVtn, signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """The VTN keeps no event of its own for what on_request_event and on_poll decide; it records which VEN got
    which, so that a VEN answering another's handler event (or one no handler gave) gets 452, like for any
    unknown event, and nothing is published. VENs A and B over HTTPS, each with its own certificate."""
    a, b = await two_vens(signed_vens, unique)

    async def answer(ven: SignedVen, event_id: str, modification_number: int) -> tuple[int, str]:
        response = {**ok("r"), "event_id": event_id, "modification_number": modification_number, "opt_type": "optIn"}
        sent = await ven.send(
            "EiEvent", "oadrCreatedEvent", response=ok("r"), ven_id=ven.ven_id, event_responses=[response]
        )
        return sent.code, sent.description

    assert (
        await a.send("EiEvent", "oadrRequestEvent", request_id=new_request_id(), ven_id=a.ven_id)
    ).kind == "oadrDistributeEvent"
    for event_id in (f"hook-a-{a.ven_id}", f"hook-a-{unique('nobody')}"):
        assert await answer(b, event_id, 0) == (452, f"no event {event_id!r} for this VEN")
    assert (await answer(a, f"hook-a-{a.ven_id}", 1))[0] == 454  # a modification the handler never gave
    assert (await answer(a, f"hook-a-{a.ven_id}", 0))[0] == 200
    given = await db.fetch("SELECT ven_id FROM handler_event_deliveries WHERE event_id = $1", f"hook-a-{a.ven_id}")
    assert [row["ven_id"] for row in given] == [a.ven_id]
    # on_poll's events are recorded the same way
    await b.poll_until("oadrDistributeEvent", polls=5)
    polled = f"poll-{b.ven_id}"
    assert await answer(a, polled, 0) == (452, f"no event {polled!r} for this VEN")
    assert (await answer(b, polled, 0))[0] == 200
    # and so is the reregistration request on_poll gives next: only the VEN it went to acknowledges it
    assert (await b.poll()).kind == "oadrRequestReregistration"
    answers = [
        await ven.send("EiRegisterParty", "oadrResponse", response=ok(None), ven_id=ven.ven_id) for ven in (a, b)
    ]
    assert [answer.code for answer in answers] == [452, 200]

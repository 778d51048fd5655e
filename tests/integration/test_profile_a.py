"""OpenADR 2.0a VENs on the real stack (a 2.0a VEN written from the 2.0a schema, every document the VTN sends it
held to that schema): provisioned in force by the operator and listed with their profile; served their events
in 2.0a, modified and cancelled; refused events they cannot carry (422 naming them), as targets, by group or
after a modification; their unanswered sets sent again on their next pull; online from their pulls; served in
their own profile only; cancelled by the operator at once; one set for a 2.0a and a 2.0b VEN stored once, each
getting it in its own profile; pushed their sets in 2.0a when provisioned with a push address, their answers
recorded whether they come as a request or as the answer to the push."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen.profile_a_messages import SeenAnswer, SeenEvent, answers_to, read_answer, request_event, response
from bench.loadgen.push_server import Pushed, PushVenEndpoint, PushVenServer
from event_svc import refresh
from shared import topics
from shared.contract.backend_events import RegistrationEvent
from shared.contract.events import EventResponseFact
from shared.db.pending import message_text
from shared.oadr.event import DistributeEvent
from shared.oadr.messages import VTN_MESSAGE_ADAPTER
from tests.integration.confirmation_clock import an_hour_passes, event_set_looked_at
from tests.integration.event_ven import EventVen, simple_event
from tests.integration.push_ven import push_server, undelivered  # noqa: F401 - a fixture
from tests.integration.raw_ven import RawVen
from tests.profile_a_ven import ProfileAVen, assert_valid_2_0a
from tests.stack import HTTP_PORT, RunningVtn, find_on_topic

PULL_TIMEOUT = 20.0


@pytest.fixture
async def root_http(vtn: RunningVtn) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{HTTP_PORT}", timeout=15) as client:
        yield client


async def provisioned(admin: httpx.AsyncClient, http: httpx.AsyncClient, ven_id: str, **extra: Any) -> ProfileAVen:
    answer = await admin.post("/vens", json={"profile_name": "2.0a", "ven_id": ven_id, **extra})
    assert answer.status_code == 201, answer.text
    return ProfileAVen(http, ven_id)


async def pull_until(ven: ProfileAVen, condition: Callable[[SeenAnswer], bool], what: str) -> SeenAnswer:
    deadline = time.monotonic() + PULL_TIMEOUT
    while True:
        seen = await ven.request_events()
        if condition(seen):
            return seen
        assert time.monotonic() < deadline, f"no set with {what} arrived; last: {seen}"
        await asyncio.sleep(0.3)


def versions(seen: SeenAnswer) -> list[tuple[str, int, str]]:
    return [(e.event_id, e.modification_number, e.status) for e in seen.events]


def event_of(seen: SeenAnswer, event_id: str) -> SeenEvent | None:
    return next((e for e in seen.events if e.event_id == event_id), None)


async def test_a_2_0a_ven_is_provisioned_in_force_and_listed_with_its_profile(
    vtn: RunningVtn, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven_id = unique("a-ven")
    created = await admin.post(
        "/vens",
        json={
            "profile_name": "2.0a",
            "ven_id": ven_id,
            "fingerprint": unique("FP"),
            "transport_address": "https://ven.example:8443",
        },
    )
    assert created.status_code == 201, created.text
    view = created.json()["ven"]
    assert (view["profile_name"], view["registered"], view["registration_id"]) == ("2.0a", True, None)
    assert (view["transport_address"], view["http_pull_model"]) == ("https://ven.example:8443", False)
    listed = (await admin.get("/vens", params={"profile_name": "2.0a", "limit": 1000})).json()
    assert ven_id in [v["ven_id"] for v in listed]
    assert all(v["profile_name"] == "2.0a" for v in listed)
    facts = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.REGISTRATION_EVENTS,
        lambda e: isinstance(e.payload, RegistrationEvent) and e.payload.ven_id == ven_id,
    )
    assert [(f.payload.change.value, f.payload.profile_name.value) for f in facts] == [("created", "2.0a")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"profile_name": "2.0a", "fingerprint": "AA"}, "give the venID"),
        ({"profile_name": "2.0a", "ven_id": "x", "transport_address": "ftp://ven"}, "http:// or https://"),
        ({"profile_name": "2.0b", "ven_name": "b", "transport_address": "https://ven"}, "when it registers"),
    ],
)
async def test_a_provisioning_that_cannot_be_served_is_refused(
    admin: httpx.AsyncClient, body: dict[str, str], detail: str
) -> None:
    answer = await admin.post("/vens", json=body)
    assert answer.status_code == 422 and detail in answer.json()["detail"]


async def test_a_2_0a_ven_pulls_its_event_answers_it_and_follows_modification_and_cancellation(
    vtn: RunningVtn, admin: httpx.AsyncClient, root_http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await provisioned(admin, root_http, unique("a-ven"))
    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201

    seen = await pull_until(ven, lambda s: event_of(s, event_id) is not None, "the event")
    assert versions(seen) == [(event_id, 0, "far")]
    [signal] = seen.events[0].signals
    assert (signal.name, signal.signal_type, signal.payloads) == ("simple", "level", (1.0,))
    assert seen.events[0].target_ven_ids == (ven.ven_id,)
    acknowledged = await ven.answer(seen)
    assert acknowledged is not None and acknowledged.response_code == 200
    view = (await admin.get(f"/events/{event_id}")).json()
    assert [(a["ven_id"], a["opt_type"]) for a in view["answers"]] == [(ven.ven_id, "optIn")]

    changed = simple_event((ven.ven_id,), minutes=10)
    change = {"signals": changed["signals"], "active_period": changed["active_period"]}
    modified = await admin.patch(f"/events/{event_id}", json=change)
    assert modified.status_code == 200, modified.text
    seen = await pull_until(ven, lambda s: versions(s) == [(event_id, 1, "far")], "the modification")
    await ven.answer(seen, "optOut")
    assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 200
    seen = await pull_until(ven, lambda s: versions(s) == [(event_id, 2, "cancelled")], "the cancellation")
    assert seen.response_code == 200


async def test_events_a_targeted_2_0a_ven_cannot_carry_are_refused_naming_it(
    admin: httpx.AsyncClient, root_http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await provisioned(admin, root_http, unique("a-ven"))
    group = unique("group")
    assert (await admin.put(f"/vens/{ven.ven_id}/memberships", json={"group_ids": [group]})).status_code == 200
    priced = simple_event((ven.ven_id,))
    priced["signals"] = [
        {
            "signal_name": "ELECTRICITY_PRICE",
            "signal_type": "price",
            "signal_id": "p",
            "item_base": {
                "name": "currencyPerKWh",
                "description": "currencyPerKWh",
                "units": "USD",
                "si_scale_code": "none",
            },
            "intervals": priced["signals"][0]["intervals"],
        }
    ]
    for targets in ({"ven_ids": [ven.ven_id]}, {"group_ids": [group]}):
        refused = await admin.post("/events", json={**priced, "targets": targets})
        assert refused.status_code == 422, refused.text
        assert ven.ven_id in refused.json()["detail"] and "SIMPLE signal" in refused.json()["detail"]

    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201
    modified = await admin.patch(f"/events/{event_id}", json={"signals": priced["signals"]})
    assert modified.status_code == 422 and ven.ven_id in modified.json()["detail"]

    other_group = unique("group")
    assert (await admin.post("/events", json={**priced, "targets": {"group_ids": [other_group]}})).status_code == 201
    joining = await admin.put(f"/vens/{ven.ven_id}/memberships", json={"group_ids": [group, other_group]})
    assert joining.status_code == 422 and "cannot get" in joining.json()["detail"]


async def test_a_set_a_2_0a_ven_never_answered_comes_again_on_its_next_pull(
    admin: httpx.AsyncClient, root_http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = await provisioned(admin, root_http, unique("unanswering-a-ven"))
    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201
    lost = await pull_until(ven, lambda s: event_of(s, event_id) is not None, "the event")

    await an_hour_passes(db, ven.ven_id)  # the set it pulled went out an hour ago, unanswered
    assert (await event_set_looked_at(db, ven.ven_id))["resends"] == 1
    resent = await db.fetchval(
        f"SELECT ({message_text('p')})::jsonb->>'request_id' FROM pending_messages p WHERE ven_id = $1"
        " ORDER BY id DESC LIMIT 1",
        ven.ven_id,
    )
    again = await pull_until(ven, lambda s: s.request_id == resent, "the set sent again")
    assert versions(again) == versions(lost)
    assert (await ven.answer(again)) is not None

    await an_hour_passes(db, ven.ven_id)
    row = await event_set_looked_at(db, ven.ven_id)
    assert (row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (1, None, None)
    undelivered = await db.fetchval(
        "SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven.ven_id
    )
    assert undelivered == 0  # a VEN that only pulls leaves nothing waiting for a poll


async def test_a_2_0a_ven_is_online_from_its_pulls(
    admin: httpx.AsyncClient, root_http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await provisioned(admin, root_http, unique("present-a-ven"))
    deadline = time.monotonic() + PULL_TIMEOUT
    while not (await admin.get(f"/vens/{ven.ven_id}")).json()["online"]:
        assert time.monotonic() < deadline, "the VEN never came online"
        await ven.request_events()
        await asyncio.sleep(0.3)


async def test_each_ven_is_served_in_its_own_profile_only(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, root_http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    a_ven = await provisioned(admin, root_http, unique("a-ven"))
    b_ven = await RawVen(http, unique("b-ven")).register()
    assert b_ven.ven_id is not None
    status, seen = await a_ven.post(request_event(b_ven.ven_id, "r1"))
    assert (status, seen.response_code) == (200, 463)
    assert "OpenADR 2.0b VEN" in (seen.description or "")
    polled = await http.post("/OadrPoll", content=create_message("oadrPoll", ven_id=a_ven.ven_id).encode())
    assert b"<ei:responseCode>463</ei:responseCode>" in polled.content
    ok = {"response_code": 200, "response_description": "OK", "request_id": "r2"}
    answer = {**ok, "event_id": "e", "modification_number": 0, "opt_type": "optIn"}
    created = create_message("oadrCreatedEvent", response=ok, event_responses=[answer], ven_id=a_ven.ven_id)
    answered = await http.post("/EiEvent", content=created.encode())  # answers are stored in batches: refused too
    assert b"<ei:responseCode>463</ei:responseCode>" in answered.content


async def test_a_2_0a_ven_the_operator_cancels_is_out_at_once(
    admin: httpx.AsyncClient, root_http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await provisioned(admin, root_http, unique("a-ven"))
    assert (await ven.request_events()).response_code == 200
    cancelled = await admin.post(f"/vens/{ven.ven_id}/cancel-registration")
    assert cancelled.status_code == 200 and cancelled.json()["ven"]["registered"] is False
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 409
    status, seen = await ven.post(request_event(ven.ven_id, "r"))
    assert (status, seen.response_code) == (200, 452)
    again = await admin.post("/vens", json={"profile_name": "2.0a", "ven_id": ven.ven_id})
    assert again.status_code == 201  # provisioned again, in force again
    assert (await ven.request_events()).response_code == 200


async def test_a_set_event_svc_gives_a_pull_counts_its_queued_copy_as_gone_out(
    admin: httpx.AsyncClient, root_http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """A VEN that only pulls must not leave a set waiting for a poll: when a pull gets from event_svc the very
    set queued for the VEN (no gateway had offered it, e.g. after a restart), the queued copy counts as gone out
    then, and the wait for the VEN's answers runs from then (event_svc.refresh.note_delivered)."""
    ven = await provisioned(admin, root_http, unique("a-ven"))
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("event")))).status_code == 201
    deadline = time.monotonic() + PULL_TIMEOUT
    while (
        queued := await db.fetchrow(
            f"SELECT id, {message_text('p')} AS message FROM pending_messages p WHERE ven_id = $1 AND delivered_at IS NULL",
            ven.ven_id,
        )
    ) is None:
        assert time.monotonic() < deadline, "no set was queued"
        await asyncio.sleep(0.1)
    the_set = VTN_MESSAGE_ADAPTER.validate_json(queued["message"])
    assert isinstance(the_set, DistributeEvent)
    async with db.transaction():
        await refresh.note_delivered(db, ven.ven_id, the_set.events)  # what event_svc does for such a pull
    assert await db.fetchval("SELECT delivered_at IS NOT NULL FROM pending_messages WHERE id = $1", queued["id"])


async def test_one_set_for_2_0a_and_2_0b_vens_is_stored_once_and_each_gets_it_in_its_own_profile(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    http: httpx.AsyncClient,
    root_http: httpx.AsyncClient,
    db: asyncpg.Connection,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    """A fleet mixing both profiles: an event for a group of a 2.0a and a 2.0b VEN is one set for both, its
    body stored once (the queued message is the set before rendering, the same in either profile); the 2.0a
    VEN pulls it in 2.0a and the 2.0b VEN polls it in 2.0b, each copy naming its own venID, and both answers
    are recorded."""
    a_ven = await provisioned(admin, root_http, unique("a-ven"))
    b_ven = EventVen(http, unique("b-ven"), official_schema)  # exchange() checks every answer against the XSD
    await b_ven.register()
    assert b_ven.ven_id is not None
    group = unique("group")
    for ven_id in (a_ven.ven_id, b_ven.ven_id):
        assert (await admin.put(f"/vens/{ven_id}/memberships", json={"group_ids": [group]})).status_code == 200
    event_id = unique("event")
    event = {**simple_event(event_id=event_id), "targets": {"group_ids": [group]}}
    assert (await admin.post("/events", json=event)).status_code == 201

    seen = await pull_until(a_ven, lambda s: event_of(s, event_id) is not None, "the event")
    assert versions(seen) == [(event_id, 0, "far")] and seen.events[0].target_ven_ids == (a_ven.ven_id,)
    deadline = time.monotonic() + PULL_TIMEOUT
    while True:
        kind, payload = await b_ven.next_message()
        if kind == "oadrDistributeEvent":
            break
        assert time.monotonic() < deadline, "the 2.0b VEN got no set"
        await asyncio.sleep(0.3)
    [b_event] = payload["events"]
    assert b_event["event_descriptor"]["event_id"] == event_id
    assert [t["ven_id"] for t in b_event["targets"] if "ven_id" in t] == [b_ven.ven_id]
    bodies = await db.fetch(
        "SELECT ven_id, body_id FROM pending_messages WHERE ven_id = ANY($1::text[])", [a_ven.ven_id, b_ven.ven_id]
    )
    assert len(bodies) == 2 and len({row["body_id"] for row in bodies}) == 1 and bodies[0]["body_id"] is not None

    assert (await a_ven.answer(seen)) is not None
    await b_ven.answer(event_id, 0, "optIn", payload["request_id"])
    deadline = time.monotonic() + PULL_TIMEOUT
    while len((await admin.get(f"/events/{event_id}")).json()["answers"]) < 2:
        assert time.monotonic() < deadline, "the answers were not both recorded"
        await asyncio.sleep(0.3)
    view = (await admin.get(f"/events/{event_id}")).json()
    assert sorted((a["ven_id"], a["opt_type"]) for a in view["answers"]) == sorted(
        [(a_ven.ven_id, "optIn"), (b_ven.ven_id, "optIn")]
    )


async def wait_for_push(endpoint: PushVenEndpoint, condition: Callable[[SeenAnswer], bool], what: str) -> SeenAnswer:
    """The first set pushed to `endpoint` that meets `condition`; each push must be a 2.0a document that came
    to the 2.0a endpoint."""
    deadline = time.monotonic() + PULL_TIMEOUT
    seen_pushes = 0
    while True:
        for pushed in endpoint.received[seen_pushes:]:
            assert (pushed.profile, pushed.service, pushed.message_type) == ("2.0a", "EiEvent", "oadrDistributeEvent")
            assert_valid_2_0a(pushed.body)
            seen = read_answer(pushed.body)
            if condition(seen):
                return seen
        seen_pushes = len(endpoint.received)
        assert time.monotonic() < deadline, f"no push with {what}; got {endpoint.types_received()}"
        await asyncio.sleep(0.1)


async def test_a_2_0a_push_ven_gets_its_event_modification_and_cancellation_pushed_in_2_0a(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    root_http: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    unique: Callable[[str], str],
) -> None:
    """The pusher writes a 2.0a VEN's sets in 2.0a, unsigned, to `{transport address}/OpenADR2/Simple/EiEvent`;
    the VEN's oadrResponse settles the push and its oadrCreatedEvent (a request, as 2.0a says) is recorded."""
    key = unique("a-push")
    endpoint = push_server.endpoint(key)
    ven = await provisioned(admin, root_http, unique("a-push-ven"), transport_address=push_server.address_of(key))
    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201

    seen = await wait_for_push(endpoint, lambda s: event_of(s, event_id) is not None, "the event")
    assert versions(seen) == [(event_id, 0, "far")]
    assert [s.name for s in seen.events[0].signals] == ["simple"]
    assert b"Signature" not in endpoint.received[0].body
    acknowledged = await ven.answer(seen)
    assert acknowledged is not None and acknowledged.response_code == 200
    assert await answers_recorded(vtn, event_id) == [(ven.ven_id, "optIn")]

    changed = simple_event((ven.ven_id,), minutes=10)
    change = {"signals": changed["signals"], "active_period": changed["active_period"]}
    modified = await admin.patch(f"/events/{event_id}", json=change)
    assert modified.status_code == 200, modified.text
    await wait_for_push(endpoint, lambda s: versions(s) == [(event_id, 1, "far")], "the modification")
    assert (await admin.post(f"/events/{event_id}/cancel")).status_code == 200
    await wait_for_push(endpoint, lambda s: versions(s) == [(event_id, 2, "cancelled")], "the cancellation")
    assert await settled_queue(db, ven.ven_id) == 0


async def test_a_2_0a_push_ven_that_answers_the_push_with_its_created_event_is_recorded(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    root_http: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    unique: Callable[[str], str],
) -> None:
    key = unique("a-push")
    endpoint = push_server.endpoint(key)
    ven_id = unique("a-push-ven")

    def created_event_at_once(pushed: Pushed, _: str) -> bytes:
        seen = read_answer(pushed.body)
        return answers_to(ven_id, seen, "optOut") or response(200, seen.request_id or "")

    endpoint.answerer = created_event_at_once
    await provisioned(admin, root_http, ven_id, transport_address=push_server.address_of(key))
    event_id = unique("event")
    assert (await admin.post("/events", json=simple_event((ven_id,), event_id=event_id))).status_code == 201
    assert await answers_recorded(vtn, event_id) == [(ven_id, "optOut")]
    assert await settled_queue(db, ven_id) == 0


async def answers_recorded(vtn: RunningVtn, event_id: str) -> list[tuple[str, str]]:
    """(venID, optType) of each answer to `event_id` on oadr.event.responses.v1."""
    facts = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
    )
    return [(f.payload.ven_id, f.payload.opt_type) for f in facts if isinstance(f.payload, EventResponseFact)]


async def settled_queue(db: asyncpg.Connection, ven_id: str) -> int:
    """The VEN's messages still undelivered once the pushes under way are recorded (or after the pull timeout)."""
    deadline = time.monotonic() + PULL_TIMEOUT
    while (count := await undelivered(db, ven_id)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return count

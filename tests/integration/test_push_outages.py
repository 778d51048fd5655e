"""HTTP push when things go wrong, on the real stack: a push VEN down for 30 s gets everything afterwards,
in order, once; a pusher killed mid-delivery hands its VENs to another instance, which pushes again; and
pull and push VENs live side by side (a push VEN's poll takes nothing, its messages are never handed out)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest
from lxml import etree

from bench.loadgen import messages
from bench.loadgen.push_server import PushVenServer
from devstack.processes import ManagedProcess
from shared import topics
from shared.contract.backend_events import PresenceStatus
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.push_ven import PushVen, push_server, undelivered  # noqa: F401 - a fixture
from tests.integration.test_events import distribute_on_poll, registered
from tests.integration.test_operations import metric_sample
from tests.integration.test_presence import presence, wait_for_hook
from tests.stack import HEALTH_PORTS, HTTP_PORT, REPO_ROOT, RunningVtn, find_on_topic

OUTAGE_SECONDS = 30.0
SECOND_PUSHER_HEALTH_PORT = HTTP_PORT + 60


async def answers_of(vtn: RunningVtn, ven_id: str) -> list[tuple[str, int]]:
    found = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.EVENT_RESPONSES,
        lambda e: isinstance(e.payload, EventResponseFact) and e.payload.ven_id == ven_id,
    )
    return sorted((f.payload.event_id, f.payload.modification_number) for f in found)  # type: ignore[union-attr]


async def test_a_push_ven_down_for_30_seconds_gets_everything_in_order_once_and_goes_offline_meanwhile(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = PushVen(http, push_server, unique("push-down"), official_schema)
    await ven.register()
    first = (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("before")))).json()
    first_id = first["event"]["descriptor"]["event_id"]
    await ven.wait_for(lambda p: any(e[0] == first_id for e in p.events))
    await ven.settle()
    await find_on_topic(vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, presence(ven.ven_id, PresenceStatus.ONLINE))

    await push_server.stop()  # the VEN's host is unreachable: connection refused
    down_at = time.monotonic()
    before = len(ven.received)
    modified = await admin.patch(f"/events/{first_id}", json={"vtn_comment": "moved", "modification_reason": "test"})
    assert modified.status_code == 200, modified.text
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202
    second = (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("during")))).json()
    second_id = second["event"]["descriptor"]["event_id"]

    await find_on_topic(
        vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, presence(ven.ven_id, PresenceStatus.OFFLINE), timeout=20
    )
    await wait_for_hook(vtn, f"offline {ven.ven_id}")
    assert await undelivered(db, ven.ven_id) == 2  # the newest event set replaced the one queued before it
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))

    await push_server.start()
    await ven.wait_for(lambda p: any(e[0] == second_id for e in p.events), timeout=20, what="the newest event set")
    await ven.settle()
    after = ven.received[before:]
    assert [p.message_type for p in after] == ["oadrRequestReregistration", "oadrDistributeEvent"]
    assert sorted((e[0], e[1]) for e in after[1].events) == sorted([(first_id, 1), (second_id, 0)])
    await wait_for_hook(vtn, f"online {ven.ven_id}", times=2)
    deadline = time.monotonic() + 15
    while await answers_of(vtn, ven.ven_id) != sorted([(first_id, 0), (first_id, 1), (second_id, 0)]):
        assert time.monotonic() < deadline, await answers_of(vtn, ven.ven_id)  # once each: nothing doubled
        await asyncio.sleep(0.5)
    assert await undelivered(db, ven.ven_id) == 0


async def _pusher_metrics(port: int) -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        except httpx.TransportError:
            return ""


@pytest.fixture
async def second_pusher(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ManagedProcess]:
    """Another pusher instance in the same consumer group; the test stack's own is restarted afterwards if killed."""
    env = {**vtn_env, "VTN_HEALTH_PORT": str(SECOND_PUSHER_HEALTH_PORT), "VTN_INSTANCE_ID": "second-pusher"}
    log = tmp_path_factory.mktemp("logs") / "second-pusher.log"
    process = ManagedProcess(
        "second-pusher", [sys.executable, "-m", "gateway.push"], env, log, cwd=REPO_ROOT, new_session=True
    )
    process.start()
    try:
        yield process
    finally:
        process.stop(timeout=20)
        main = vtn.processes["gateway.push"]
        if not main.is_running():
            main.start()


async def test_a_pusher_killed_mid_delivery_hands_its_vens_to_another_which_pushes_again_and_nothing_doubles(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    second_pusher: ManagedProcess,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ports = {"gateway.push": HEALTH_PORTS["gateway.push"], "second-pusher": SECOND_PUSHER_HEALTH_PORT}
    deadline = time.monotonic() + 60
    while True:  # both instances hold partitions (the group has rebalanced)
        lanes = [metric_sample(await _pusher_metrics(port), "vtn_push_lanes") for port in ports.values()]
        if all(held > 0 for held in lanes) and sum(lanes) >= 4:
            break
        assert time.monotonic() < deadline, f"partitions held: {lanes}"
        await asyncio.sleep(0.5)

    ven = PushVen(http, push_server, unique("push-failover"), official_schema)
    await ven.register()
    ven.endpoint.delay = 10.0  # longer than the push timeout: every push of the owner is in flight until it dies
    event_id = (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=unique("failover")))).json()[
        "event"]["descriptor"]["event_id"]  # fmt: skip
    await ven.wait_for(lambda p: any(e[0] == event_id for e in p.events))
    owner = None
    while owner is None:
        for name, port in ports.items():
            if metric_sample(await _pusher_metrics(port), "vtn_push_in_flight") >= 1:
                owner = name
        assert time.monotonic() < deadline, "no pusher has the push in flight"
    process = vtn.processes["gateway.push"] if owner == "gateway.push" else second_pusher
    process.kill()
    process.await_stop(10)
    ven.endpoint.delay = 0.0

    await ven.wait_for(
        lambda p: any(e[0] == event_id for e in p.events) and p is not ven.received[0], timeout=45,
        what="the event set pushed again by the other pusher",
    )  # fmt: skip
    await ven.settle()
    deadline = time.monotonic() + 15
    while await undelivered(db, ven.ven_id) or await answers_of(vtn, ven.ven_id) != [(event_id, 0)]:
        assert time.monotonic() < deadline, (await undelivered(db, ven.ven_id), await answers_of(vtn, ven.ven_id))
        await asyncio.sleep(0.3)
    pushes = [p for p in ven.received if any(e[0] == event_id for e in p.events)]
    assert len(pushes) >= 2  # to the killed pusher's connection (timed out, retried), then by its successor


async def test_pull_and_push_vens_share_an_event_and_a_push_vens_poll_takes_nothing(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    puller = await registered(http, unique("mixed-pull"), official_schema)
    pusher = PushVen(http, push_server, unique("mixed-push"), official_schema)
    await pusher.register()
    pusher.endpoint.down = True  # the push VEN does not answer for now: its message waits in its queue
    event_id = (await admin.post("/events", json=simple_event((puller.ven_id, pusher.ven_id), event_id=unique("mixed")))).json()[
        "event"]["descriptor"]["event_id"]  # fmt: skip

    payload = await distribute_on_poll(puller)
    assert [e["event_descriptor"]["event_id"] for e in payload["events"]] == [event_id]
    polled = await http.post(
        "/OadrPoll",
        content=(
            '<?xml version="1.0" encoding="utf-8"?>\n<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">\n'
            '<oadr:oadrSignedObject xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" oadr:Id="oadrSignedObject">'
            '<oadr:oadrPoll ei:schemaVersion="2.0b" xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110">'
            f"<ei:venID>{pusher.ven_id}</ei:venID></oadr:oadrPoll></oadr:oadrSignedObject>\n</oadr:oadrPayload>"
        ).encode(),
    )
    assert "oadrResponse" in polled.text and "<ei:responseCode>200<" in polled.text  # nothing handed out by poll
    assert await undelivered(db, pusher.ven_id) == 1

    pusher.endpoint.down = False
    await pusher.wait_for(lambda p: any(e[0] == event_id for e in p.events), timeout=15)
    await pusher.settle()
    deadline = time.monotonic() + 10
    while await undelivered(db, pusher.ven_id):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)


async def test_a_ven_switches_between_pull_and_push_by_registering_again_and_its_queue_follows(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    push_server: PushVenServer,
    official_schema: etree.XMLSchema,
    unique: Callable[[str], str],
) -> None:
    ven = PushVen(http, push_server, unique("switching"), official_schema)
    await ven.register(pull=True)
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["http_pull_model"] is True
    asked = await admin.post(f"/vens/{ven.ven_id}/request-reregistration")
    assert asked.status_code == 202
    assert await undelivered(db, ven.ven_id) == 1  # a polling VEN that has not polled: its message waits

    answer = await ven.register()  # again, now in the push model
    assert "<ei:responseCode>200<" in answer.text and "oadrRequestedOadrPollFreq" not in answer.text
    await ven.wait_for_type("oadrRequestReregistration")  # what waited is pushed
    view = (await admin.get(f"/vens/{ven.ven_id}")).json()
    assert (view["http_pull_model"], view["transport_address"]) == (False, ven.address)

    answer = await ven.register(pull=True)  # and back: its messages wait for its polls again
    assert "oadrRequestedOadrPollFreq" in answer.text
    pushed_before = len(ven.received)
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202
    deadline = time.monotonic() + 10
    while True:
        polled = await http.post("/OadrPoll", content=messages.poll(ven.ven_id))
        if "oadrRequestReregistration" in polled.text:
            break
        assert time.monotonic() < deadline, polled.text
        await asyncio.sleep(0.3)
    assert len(ven.received) == pushed_before

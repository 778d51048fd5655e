"""Presence: a VEN that stops polling is reported offline, and online again when it returns."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from shared import topics
from shared.contract.backend_events import PresenceEvent, PresenceStatus
from shared.contract.envelope import Envelope
from tests.integration.raw_ven import RawVen
from tests.stack import OFFLINE_AFTER_MISSED_POLLS, POLL_INTERVAL_SECONDS, RunningVtn, find_on_topic


def presence(ven_id: str, status: PresenceStatus) -> Callable[[Envelope], bool]:
    def matches(envelope: Envelope) -> bool:
        payload = envelope.payload
        return isinstance(payload, PresenceEvent) and payload.ven_id == ven_id and payload.status is status

    return matches


async def wait_for_hook(vtn: RunningVtn, line: str, times: int = 1, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while vtn.hook_calls().count(line) < times:
        assert time.monotonic() < deadline, f"handler call {line!r} never happened: {vtn.hook_calls()}"
        await asyncio.sleep(0.2)


async def test_silent_ven_goes_offline_and_comes_back_online(
    vtn: RunningVtn, http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("presence-ven")).register()
    assert ven.ven_id is not None
    assert (await ven.poll()).response_code == 200

    online = await find_on_topic(
        vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, presence(ven.ven_id, PresenceStatus.ONLINE)
    )
    assert len(online) == 1
    await wait_for_hook(vtn, f"online {ven.ven_id}")
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["online"] is True

    # Silence for longer than N poll intervals.
    await asyncio.sleep(OFFLINE_AFTER_MISSED_POLLS * POLL_INTERVAL_SECONDS + 1.5)
    offline = await find_on_topic(
        vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, presence(ven.ven_id, PresenceStatus.OFFLINE)
    )
    assert len(offline) == 1
    await wait_for_hook(vtn, f"offline {ven.ven_id}")
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["online"] is False

    assert (await ven.poll()).response_code == 200
    await wait_for_hook(vtn, f"online {ven.ven_id}", times=2)
    back = await find_on_topic(vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, presence(ven.ven_id, PresenceStatus.ONLINE))
    assert len(back) == 2


async def test_regular_polls_keep_a_ven_online_with_one_online_event(
    vtn: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("steady-ven")).register()
    assert ven.ven_id is not None
    for _ in range(int(OFFLINE_AFTER_MISSED_POLLS * 3)):
        assert (await ven.poll()).response_code == 200
        await asyncio.sleep(POLL_INTERVAL_SECONDS * 0.8)
    assert f"offline {ven.ven_id}" not in vtn.hook_calls()
    events = await find_on_topic(
        vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, lambda e: getattr(e.payload, "ven_id", None) == ven.ven_id
    )
    assert [e.payload.status for e in events] == [PresenceStatus.ONLINE]  # type: ignore[union-attr]


async def test_unknown_ven_polls_are_not_sightings(
    vtn: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    stranger = unique("stranger")
    for _ in range(3):
        assert (await RawVen(http, "x").poll(ven_id=stranger)).response_code == 452
    await asyncio.sleep(1.0)
    events = await find_on_topic(
        vtn.kafka_bootstrap, topics.PRESENCE_EVENTS, lambda e: getattr(e.payload, "ven_id", None) == stranger, timeout=2
    )
    assert events == []

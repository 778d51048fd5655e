"""Two XMPP connector instances share the XMPP VENs without double delivery: each delivers to the VENs of the
oadr.ven.changes.v1 partitions it holds (its consumer group, and an advisory lock per partition, as the pusher
does), VENs' requests reach either through the XMPP server, and when one stops the other takes its VENs over."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from devstack.processes import ManagedProcess
from tests.conftest import REPO_ROOT
from tests.integration.event_ven import simple_event
from tests.integration.test_operations import metric_sample
from tests.integration.test_xmpp import xmpp_vens  # noqa: F401 - a fixture
from tests.integration.xmpp_ven import XmppVen
from tests.stack import HEALTH_PORTS, HTTP_PORT, RunningVtn

SECOND_CONNECTOR_HEALTH_PORT = HTTP_PORT + 61


@pytest.fixture
async def second_connector(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ManagedProcess]:
    env = {**vtn_env, "VTN_HEALTH_PORT": str(SECOND_CONNECTOR_HEALTH_PORT), "VTN_INSTANCE_ID": "second-connector"}
    log = tmp_path_factory.mktemp("logs") / "second-connector.log"
    process = ManagedProcess(
        "second-connector", [sys.executable, "-m", "gateway.xmpp"], env, log, cwd=REPO_ROOT, new_session=True
    )
    process.start()
    try:
        yield process
    finally:
        process.stop(timeout=20)


async def _lanes_held(port: int) -> float:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            return metric_sample((await client.get(f"http://127.0.0.1:{port}/metrics")).text, "vtn_push_lanes")
        except httpx.TransportError:
            return 0.0


def _sets_with(ven: XmppVen, event_id: str) -> list[str]:
    """The resources of the VTN that pushed the VEN an event set carrying `event_id`, one per push."""
    return [s for p, s in zip(ven.received, ven.senders, strict=True) if any(e[0] == event_id for e in p.events)]


async def test_two_connectors_share_the_vens_each_gets_every_event_once_and_one_takes_over_from_the_other(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    second_connector: ManagedProcess,
    xmpp_vens: Callable[..., Awaitable[XmppVen]],
    unique: Callable[[str], str],
) -> None:
    ports = (HEALTH_PORTS["gateway.xmpp"], SECOND_CONNECTOR_HEALTH_PORT)
    deadline = time.monotonic() + 60
    while not all(held > 0 for held in [await _lanes_held(port) for port in ports]):  # the group has rebalanced
        assert time.monotonic() < deadline, "the two connectors do not both hold partitions"
        await asyncio.sleep(0.5)

    # 12 VENs: the chance that all of them fall in one instance's partitions is 2 in 4096
    vens = [await xmpp_vens(unique(f"xmpp-shared-{i}")) for i in range(12)]  # requests through either instance
    first = unique("shared")
    assert (
        await admin.post("/events", json=simple_event(tuple(v.ven_id for v in vens), event_id=first))
    ).status_code == 201
    for ven in vens:
        await ven.wait_for(lambda p: any(e[0] == first for e in p.events), what=first)
    await asyncio.sleep(2)
    pushers = {ven.ven_id: _sets_with(ven, first) for ven in vens}
    assert all(len(senders) == 1 for senders in pushers.values()), pushers  # once each
    assert len({senders[0] for senders in pushers.values()}) == 2, pushers  # by both instances

    second_connector.stop(timeout=20)
    later = unique("taken-over")
    assert (
        await admin.post("/events", json=simple_event(tuple(v.ven_id for v in vens), event_id=later))
    ).status_code == 201
    for ven in vens:
        await ven.wait_for(lambda p: any(e[0] == later for e in p.events), timeout=45, what=later)
    await asyncio.sleep(2)
    assert all(len(_sets_with(ven, later)) == 1 for ven in vens)
    assert len({_sets_with(ven, later)[0] for ven in vens}) == 1  # the remaining instance

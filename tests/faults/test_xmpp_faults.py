"""Nothing lost under faults, for XMPP VENs: in the fault suite's stack, XMPP VENs get events while, one at a
time, the XMPP connector is SIGKILLed mid-delivery (once the first VEN got an event) and restarted, the XMPP
server is restarted (every session ends: VENs and the connector log in again), and Kafka and PostgreSQL are
stopped and started.

Each fault is one phase, as for push VENs (test_push_faults.py): an event every XMPP VEN receives and answers
(full service), the fault, an event racing it, an event after it; then every answer the VTN acknowledged in
the phase is looked up in PostgreSQL and on oadr.event.responses.v1, every XMPP VEN's queue must be empty and
every document the VTN sent valid 2.0b. A message may be sent again after a fault (a connector that died
after the VEN got it but before recording the delivery): the table counts such repeats; the VEN's answer is
published once all the same. The table is written to `<VTN_DEVSTACK_DIR>/xmpp-fault-table.md`;
docs/reliability.md carries it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.conftest import REPO_ROOT
from tests.faults.delivery_phase import STEADY_TIMEOUT, after_the_fault, answered, write_fault_table
from tests.faults.fleet import Ledger
from tests.faults.stack import FaultStack
from tests.faults.test_nothing_lost import OUTAGE_SECONDS, create_event
from tests.faults.xmpp_fleet import XmppFleet

XMPP_VENS = 8
XMPP_SERVER_DOWN_SECONDS = 3.0


@dataclass(frozen=True)
class XmppFault:
    name: str
    inject: Callable[[FaultStack], None]  # returns when the fault is over
    admin_up: bool = True
    mid_delivery: bool = False  # injected once the first XMPP VEN got the racing event, the others not all yet


XMPP_FAULTS = [
    XmppFault(
        "SIGKILL gateway.xmpp mid-delivery, restart", lambda s: s.kill_and_restart("gateway.xmpp"), mid_delivery=True
    ),
    XmppFault(
        f"stop the XMPP server {XMPP_SERVER_DOWN_SECONDS:.0f} s, start",
        lambda s: s.restart_xmpp_server(XMPP_SERVER_DOWN_SECONDS),
    ),
    XmppFault(f"stop Kafka {OUTAGE_SECONDS:.0f} s, start", lambda s: s.stop_kafka(OUTAGE_SECONDS), admin_up=False),
    XmppFault(
        f"stop PostgreSQL {OUTAGE_SECONDS:.0f} s, start", lambda s: s.stop_postgres(OUTAGE_SECONDS), admin_up=False
    ),
]
HEADER = (
    "| fault | answers acknowledged | answers lost | answers doubled on the topic | messages sent again | "
    "racing event answered by every XMPP VEN, after the fault (s) | queues empty |\n"
    "|---|---:|---:|---:|---:|---:|---|"
)
ROWS: dict[str, str] = {}


@pytest.fixture(scope="module")
async def xmpp_fleet(
    fault_stack: FaultStack, official_schema: etree.XMLSchema, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[XmppFleet]:
    certificates: Path = tmp_path_factory.mktemp("xmpp-fault-vens")
    fleet = XmppFleet(fault_stack.xmpp_server(), XMPP_VENS, Ledger(), official_schema, certificates)
    try:
        await fleet.start()
        yield fleet
    finally:
        await fleet.stop()


@pytest.mark.parametrize("fault", XMPP_FAULTS, ids=[f.name.split(",")[0].replace(" ", "-") for f in XMPP_FAULTS])
async def test_xmpp_vens_lose_nothing_acknowledged(
    fault: XmppFault, fault_stack: FaultStack, xmpp_fleet: XmppFleet, admin: httpx.AsyncClient
) -> None:
    ledger = xmpp_fleet.ledger
    ledger.phase = fault.name
    ven_ids = xmpp_fleet.ven_ids
    label = "xmpp-" + fault.name.split(" ")[0].lower()
    steady = await create_event(admin, ven_ids, f"{label}-before")
    assert not await answered(xmpp_fleet, [steady], STEADY_TIMEOUT), "XMPP VENs not at full service before the fault"

    if fault.mid_delivery:
        racing = await create_event(admin, ven_ids, f"{label}-racing")
        first_got_it = await _first_delivery(xmpp_fleet, racing)
        await asyncio.to_thread(fault.inject, fault_stack)
        assert first_got_it, "no XMPP VEN got the racing event before the fault"
    else:
        if not fault.admin_up:
            racing = await create_event(admin, ven_ids, f"{label}-racing")
        injected = asyncio.ensure_future(asyncio.to_thread(fault.inject, fault_stack))
        if fault.admin_up:
            await asyncio.sleep(0.3)
            racing = await create_event(admin, ven_ids, f"{label}-racing")
        await injected
    await after_the_fault(fault_stack, xmpp_fleet, admin, ven_ids, fault.name, (steady, racing, label), ROWS)
    assert xmpp_fleet.invalid() == []


async def _first_delivery(fleet: XmppFleet, event_id: str, timeout: float = STEADY_TIMEOUT) -> bool:
    """Returns as soon as one XMPP VEN got a set holding the event (whether one did in time)."""
    deadline = time.monotonic() + timeout
    while fleet.received(event_id) == 0:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def test_the_xmpp_fault_table_is_complete(fault_stack: FaultStack) -> None:
    write_fault_table(fault_stack, HEADER, [f.name for f in XMPP_FAULTS], ROWS, "xmpp-fault-table.md")
    assert [f.name for f in XMPP_FAULTS if f.name not in ROWS] == []
    doc = (REPO_ROOT / "docs" / "reliability.md").read_text()
    assert HEADER in doc, "docs/reliability.md's XMPP fault table has other columns"
    assert all(f"| {f.name} |" in doc for f in XMPP_FAULTS), "docs/reliability.md's XMPP fault table lacks a fault"

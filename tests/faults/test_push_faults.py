"""Nothing lost under faults, for push VENs: while the polling fleet keeps working, push VENs get events
while, one at a time, the pusher is SIGKILLed and restarted, frozen past Kafka's session timeout, the push
VENs' host is unreachable, registration_svc (which records deliveries) is killed, and Kafka and PostgreSQL are
stopped and started.

Each fault is one phase, as in test_nothing_lost.py: an event every push VEN receives and answers (full
service), the fault, an event racing it, an event after it; then every answer the VTN acknowledged in the
phase is looked up in PostgreSQL and on oadr.event.responses.v1, and every push VEN's queue must be empty.
A message may be pushed again after a fault (a pusher that died after the VEN got it but before recording
the delivery): the table counts such repeats; the VEN's answer is published once all the same. The table is
written to `<VTN_DEVSTACK_DIR>/push-fault-table.md`; docs/push.md carries it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.faults.delivery_phase import STEADY_TIMEOUT, after_the_fault, answered, write_fault_table
from tests.faults.push_fleet import PushFleet
from tests.faults.stack import FaultStack
from tests.faults.test_nothing_lost import OUTAGE_SECONDS, create_event

PUSH_VENS = 12
SESSION_PAUSE_SECONDS = 9.0  # longer than the consumer group's session timeout (6 s): the group moves on
VENS_DOWN_SECONDS = 10.0


@dataclass(frozen=True)
class PushFault:
    name: str
    inject: Callable[[FaultStack, PushFleet], Awaitable[None]]  # returns when the fault is over
    admin_up: bool = True


def blocking(fault: Callable[[FaultStack], None]) -> Callable[[FaultStack, PushFleet], Awaitable[None]]:
    async def inject(stack: FaultStack, _: PushFleet) -> None:
        await asyncio.to_thread(fault, stack)

    return inject


async def vens_down(stack: FaultStack, fleet: PushFleet) -> None:
    await fleet.server.stop()
    await asyncio.sleep(VENS_DOWN_SECONDS)
    await fleet.server.start()


PUSH_FAULTS = [
    PushFault("SIGKILL gateway.push, restart", blocking(lambda s: s.kill_and_restart("gateway.push"))),
    PushFault(
        f"SIGSTOP gateway.push {SESSION_PAUSE_SECONDS:.0f} s, SIGCONT",
        blocking(lambda s: s.pause("gateway.push", SESSION_PAUSE_SECONDS)),
    ),
    PushFault(f"push VENs' host unreachable {VENS_DOWN_SECONDS:.0f} s", vens_down),
    PushFault(
        "SIGKILL registration_svc, restart (records deliveries)",
        blocking(lambda s: s.kill_and_restart("registration_svc")),
    ),
    PushFault(
        f"stop Kafka {OUTAGE_SECONDS:.0f} s, start", blocking(lambda s: s.stop_kafka(OUTAGE_SECONDS)), admin_up=False
    ),
    PushFault(
        f"stop PostgreSQL {OUTAGE_SECONDS:.0f} s, start",
        blocking(lambda s: s.stop_postgres(OUTAGE_SECONDS)),
        admin_up=False,
    ),
]
HEADER = (
    "| fault | answers acknowledged | answers lost | answers doubled on the topic | messages pushed again | "
    "racing event answered by every push VEN, after the fault (s) | queues empty |\n|---|---:|---:|---:|---:|---:|---|"
)
ROWS: dict[str, str] = {}


@pytest.fixture(scope="module")
async def push_fleet(fault_stack: FaultStack) -> AsyncIterator[PushFleet]:
    from tests.faults.fleet import Ledger

    fleet = PushFleet(fault_stack.url, PUSH_VENS, Ledger())
    try:
        await fleet.start()
        yield fleet
    finally:
        await fleet.stop()


@pytest.mark.parametrize("fault", PUSH_FAULTS, ids=[f.name.split(",")[0].replace(" ", "-") for f in PUSH_FAULTS])
async def test_push_vens_lose_nothing_acknowledged(
    fault: PushFault, fault_stack: FaultStack, push_fleet: PushFleet, admin: httpx.AsyncClient
) -> None:
    ledger = push_fleet.ledger
    ledger.phase = fault.name
    ven_ids = list(push_fleet.ven_ids.values())
    label = "push-" + fault.name.split(" ")[0].lower()
    steady = await create_event(admin, ven_ids, f"{label}-before")
    assert not await answered(push_fleet, [steady], STEADY_TIMEOUT), "push VENs not at full service before the fault"

    if not fault.admin_up:
        racing = await create_event(admin, ven_ids, f"{label}-racing")
    injected = asyncio.ensure_future(fault.inject(fault_stack, push_fleet))
    if fault.admin_up:
        await asyncio.sleep(0.5)
        racing = await create_event(admin, ven_ids, f"{label}-racing")
    await injected
    await after_the_fault(fault_stack, push_fleet, admin, ven_ids, fault.name, (steady, racing, label), ROWS)


async def test_the_push_fault_table_is_complete(fault_stack: FaultStack) -> None:
    write_fault_table(fault_stack, HEADER, [f.name for f in PUSH_FAULTS], ROWS, "push-fault-table.md")
    assert [f.name for f in PUSH_FAULTS if f.name not in ROWS] == []
    doc = (REPO_ROOT / "docs" / "push.md").read_text()
    assert HEADER in doc, "docs/push.md's fault table has other columns"
    assert all(f"| {f.name} |" in doc for f in PUSH_FAULTS), "docs/push.md's fault table lacks a fault"

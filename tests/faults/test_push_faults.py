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
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.faults.audit import Audit, audit
from tests.faults.push_fleet import PushFleet
from tests.faults.stack import ADMIN_TOKEN, FaultStack
from tests.faults.test_nothing_lost import AUDIT_TIMEOUT, OUTAGE_SECONDS, RECOVERY_BOUND_SECONDS, create_event

PUSH_VENS = 12
STEADY_TIMEOUT = 30.0
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


@pytest.fixture(scope="module")
async def admin(fault_stack: FaultStack) -> AsyncIterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(
        base_url=fault_stack.admin_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=15
    )
    yield client
    await client.aclose()


async def answered(fleet: PushFleet, event_ids: list[str], timeout: float) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while (missing := fleet.missing(event_ids)) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return missing


async def queues_empty(stack: FaultStack, ven_ids: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = await asyncpg.connect(stack.database_url, timeout=3)
            try:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pending_messages WHERE ven_id = ANY($1::text[]) AND delivered_at IS NULL",
                    ven_ids,
                )
            finally:
                await conn.close()
            if waiting == 0:
                return True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.3)


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
    over = time.monotonic()
    late = await answered(push_fleet, [racing], RECOVERY_BOUND_SECONDS)
    recovery = time.monotonic() - over
    after = await create_event(admin, ven_ids, f"{label}-after")
    unanswered = await answered(push_fleet, [steady, racing, after], STEADY_TIMEOUT)
    empty = await queues_empty(fault_stack, ven_ids, 20)
    ledger.phase = f"after {fault.name}"

    conn = await asyncpg.connect(fault_stack.database_url)
    try:
        answers, _ = await audit(conn, fault_stack.kafka_bootstrap, ledger.answers_in(fault.name), set(), AUDIT_TIMEOUT)
    finally:
        await conn.close()
    repeats = push_fleet.repeats([steady, racing, after])
    for event_id in (steady, racing, after):
        await admin.delete(f"/events/{event_id}")
    ROWS[fault.name] = _row(fault.name, answers, repeats, recovery, empty)
    assert answers.lost == 0, answers
    assert answers.doubled_on_topic == answers.republished, answers  # an answer handled twice is not published twice
    assert not late and not unanswered, (late, unanswered)
    assert empty, "push VENs' queues still hold messages after the phase"
    assert recovery <= RECOVERY_BOUND_SECONDS


def _row(fault: str, answers: Audit, repeats: int, recovery: float, empty: bool) -> str:
    doubled = f"{answers.doubled_on_topic} ({answers.republished} republished)"
    return (
        f"| {fault} | {answers.acknowledged} | {answers.lost} | {doubled} | {repeats} | {recovery:.1f} | "
        f"{'yes' if empty else 'no'} |"
    )


async def test_the_push_fault_table_is_complete(fault_stack: FaultStack) -> None:
    table = "\n".join([HEADER, *(ROWS[f.name] for f in PUSH_FAULTS if f.name in ROWS)])
    path = fault_stack.results_dir / "push-fault-table.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table + "\n")
    print(f"\n{table}\n(written to {path})")
    assert [f.name for f in PUSH_FAULTS if f.name not in ROWS] == []
    doc = (REPO_ROOT / "docs" / "push.md").read_text()
    assert HEADER in doc, "docs/push.md's fault table has other columns"
    assert all(f"| {f.name} |" in doc for f in PUSH_FAULTS), "docs/push.md's fault table lacks a fault"

"""The second half of a fault phase for VENs the VTN sends messages to unasked (HTTP push, XMPP): once the fault
is over, wait for the racing event's answers (the recovery time), create one more event, wait until every VEN
answered all three and its queue is empty, audit what the VTN acknowledged in the phase (PostgreSQL and
oadr.event.responses.v1), and assert nothing was lost or published twice. Also the phase's table row and the
table written next to the stack and checked against the docs page that carries it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Protocol

import asyncpg
import httpx

from tests.faults.audit import Audit, audit
from tests.faults.fleet import Ledger
from tests.faults.stack import FaultStack
from tests.faults.test_nothing_lost import AUDIT_TIMEOUT, RECOVERY_BOUND_SECONDS, create_event

STEADY_TIMEOUT = 30.0


class DeliveredFleet(Protocol):
    @property
    def ledger(self) -> Ledger: ...

    def missing(self, event_ids: list[str]) -> list[tuple[str, str]]: ...

    def repeats(self, event_ids: list[str]) -> int: ...


async def answered(fleet: DeliveredFleet, event_ids: list[str], timeout: float) -> list[tuple[str, str]]:
    """(venID, eventID) still unanswered after `timeout`."""
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


async def after_the_fault(
    stack: FaultStack,
    fleet: DeliveredFleet,
    admin: httpx.AsyncClient,
    ven_ids: list[str],
    fault: str,
    events: tuple[str, str, str],  # the phase's steady and racing events, and the label of the one after
    rows: dict[str, str],
) -> None:
    """Called when the fault is over; records the phase's row in `rows`, then asserts."""
    steady, racing, label = events
    over = time.monotonic()
    late = await answered(fleet, [racing], RECOVERY_BOUND_SECONDS)
    recovery = time.monotonic() - over
    after = await create_event(admin, ven_ids, f"{label}-after")
    unanswered = await answered(fleet, [steady, racing, after], STEADY_TIMEOUT)
    empty = await queues_empty(stack, ven_ids, 20)
    fleet.ledger.phase = f"after {fault}"

    conn = await asyncpg.connect(stack.database_url)
    try:
        answers, _ = await audit(conn, stack.kafka_bootstrap, fleet.ledger.answers_in(fault), set(), AUDIT_TIMEOUT)
    finally:
        await conn.close()
    repeats = fleet.repeats([steady, racing, after])
    for event_id in (steady, racing, after):
        await admin.delete(f"/events/{event_id}")
    rows[fault] = fault_row(fault, answers, repeats, recovery, empty)
    assert answers.lost == 0, answers
    assert answers.doubled_on_topic == answers.republished, answers  # an answer handled twice is not published twice
    assert not late and not unanswered, (late, unanswered)
    assert empty, "VENs' queues still hold messages after the phase"
    assert recovery <= RECOVERY_BOUND_SECONDS


def fault_row(fault: str, answers: Audit, repeats: int, recovery: float, empty: bool) -> str:
    doubled = f"{answers.doubled_on_topic} ({answers.republished} republished)"
    return (
        f"| {fault} | {answers.acknowledged} | {answers.lost} | {doubled} | {repeats} | {recovery:.1f} | "
        f"{'yes' if empty else 'no'} |"
    )


def write_fault_table(stack: FaultStack, header: str, faults: list[str], rows: dict[str, str], name: str) -> str:
    """The table of the faults run, written to `<VTN_DEVSTACK_DIR>/<name>`; its text."""
    table = "\n".join([header, *(rows[f] for f in faults if f in rows)])
    path: Path = stack.results_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table + "\n")
    print(f"\n{table}\n(written to {path})")
    return table

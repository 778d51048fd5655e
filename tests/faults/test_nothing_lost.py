"""Nothing lost under faults: simulated VENs register, poll, answer events and report while, one at a time,
each service and the gateway are SIGKILLed and restarted, a service is frozen (SIGSTOP) past the gateway's
reply timeout and thawed, and Kafka and PostgreSQL are stopped and started.

Each fault is one phase: an event is created and answered by every VEN (the VTN is at full service), the fault
is injected and a second event created while it is on (where the fault stops the admin API, just before), so
that its deliveries and answers race the fault; the probe VEN
waits until every path serves again (the recovery time), a third event is created after it, and then every
record the VTN acknowledged during the phase is looked up in PostgreSQL and on its Kafka topic (see audit.py
for what "once" means per topic). The fault table is written to `<VTN_DEVSTACK_DIR>/fault-table.md`, and
what every request sent during each fault got, counted, to `fault-outcomes.json` beside it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from openleadr.messaging import create_message

from tests.conftest import REPO_ROOT
from tests.faults.audit import Audit, audit, read_topics
from tests.faults.fleet import Fleet, Result, SimulatedVen, new_request_id
from tests.faults.stack import REPLY_TIMEOUT_SECONDS, FaultStack
from tests.integration.event_ven import simple_event

RECOVERY_BOUND_SECONDS = 45.0  # from the end of a fault until every path serves again
OUTAGE_SECONDS = 5.0  # how long Kafka and PostgreSQL stay stopped
PAUSE_SECONDS = REPLY_TIMEOUT_SECONDS + 3.0  # a frozen service outlives the gateway's reply timeout
STEADY_TIMEOUT = 40.0  # every VEN answers an event in this time when nothing fails
AUDIT_TIMEOUT = 30.0  # the relays publish what was acknowledged in this time


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[FaultStack], None]  # blocking; returns when the fault is over
    admin_up: bool = False  # the admin API (gateway, event_svc, Kafka, PostgreSQL) works during the fault


FAULTS = [
    Fault("SIGKILL registration_svc, restart", lambda s: s.kill_and_restart("registration_svc"), admin_up=True),
    Fault("SIGKILL event_svc, restart", lambda s: s.kill_and_restart("event_svc")),
    Fault("SIGKILL report_svc (one of two), restart", lambda s: s.kill_and_restart("report_svc"), admin_up=True),
    Fault("SIGKILL presence_svc, restart", lambda s: s.kill_and_restart("presence_svc"), admin_up=True),
    Fault("SIGKILL gateway, restart", lambda s: s.kill_and_restart("gateway")),
    Fault(
        f"SIGSTOP registration_svc {PAUSE_SECONDS:.0f} s, SIGCONT",
        lambda s: s.pause("registration_svc", PAUSE_SECONDS),
        admin_up=True,
    ),
    Fault(f"SIGSTOP event_svc {PAUSE_SECONDS:.0f} s, SIGCONT", lambda s: s.pause("event_svc", PAUSE_SECONDS)),
    Fault(f"stop Kafka {OUTAGE_SECONDS:.0f} s, start", lambda s: s.stop_kafka(OUTAGE_SECONDS)),
    Fault(f"stop PostgreSQL {OUTAGE_SECONDS:.0f} s, start", lambda s: s.stop_postgres(OUTAGE_SECONDS)),
]


@dataclass(frozen=True)
class Row:
    fault: str
    requests: int  # VEN requests sent from the start of the fault until full service
    unavailable: int  # of those, answered HTTP 503 + oadrResponse 503
    no_answer: int  # of those, connection refused or reset
    wrong: int  # of those, answered with anything else but success
    answers: Audit  # oadrCreatedEvent answers acknowledged in the phase
    intervals: Audit  # report intervals acknowledged in the phase
    deliveries_late: int  # (VEN, event) racing the fault not answered within 15 s of recovery
    recovery_seconds: float

    @property
    def lost(self) -> int:
        return self.answers.lost + self.intervals.lost

    def markdown(self) -> str:
        doubled = (
            f"{self.intervals.doubled_in_db + self.intervals.doubled_on_topic} / "
            f"{self.answers.doubled_on_topic} ({self.answers.republished} republished)"
        )
        return (
            f"| {self.fault} | {self.requests} | {self.unavailable} + {self.no_answer} | {self.wrong} | "
            f"{self.intervals.acknowledged} / {self.answers.acknowledged} | {self.lost} | {doubled} | "
            f"{self.deliveries_late} | {self.recovery_seconds:.1f} |"
        )


HEADER = (
    "| fault | requests during it | errors returned (503 + no answer) | wrong answers | acknowledged "
    "(report intervals / event answers) | records lost | records doubled (intervals / answers) | "
    "event deliveries late | recovery (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)
ROWS: dict[str, Row] = {}
OUTCOMES: dict[str, dict[str, int]] = {}  # per fault: "<message type> <result>: <detail>" -> count, during the fault


async def create_event(admin: httpx.AsyncClient, ven_ids: list[str], label: str) -> str:
    """Create an event for `ven_ids`, retrying (with the same idempotency key) until the admin API answers 201."""
    event_id = f"{label}-{uuid.uuid4().hex[:8]}"
    body = simple_event(tuple(ven_ids), event_id=event_id)
    deadline = time.monotonic() + RECOVERY_BOUND_SECONDS * 2
    while True:
        try:
            answer = await admin.post("/events", json=body, headers={"Idempotency-Key": event_id})
            if answer.status_code == 201:
                return event_id
            detail = f"{answer.status_code} {answer.text[:200]}"
        except httpx.TransportError as error:
            detail = repr(error)
        if time.monotonic() > deadline:
            raise AssertionError(f"could not create event {event_id}: {detail}")
        await asyncio.sleep(0.5)


def inject(fault: Fault, stack: FaultStack) -> tuple[float, datetime]:
    """Inject the fault (blocking); the moment it is over, monotonic and wall clock."""
    fault.inject(stack)
    return time.monotonic(), datetime.now(UTC)


async def wait_answered(fleet: Fleet, event_ids: list[str], timeout: float) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while (missing := fleet.missing(event_ids)) and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    return missing


async def _serves(stack: FaultStack, probe: SimulatedVen, since: datetime, admin: httpx.AsyncClient) -> bool:
    """One round over every path: registration, an uncached poll, events, reports, the admin API, presence."""
    result, _, _ = await probe.exchange("EiRegisterParty", "oadrQueryRegistration", request_id=new_request_id())
    if result is not Result.OK:
        return False
    unknown = create_message("oadrPoll", ven_id=f"nobody-{uuid.uuid4().hex}")  # never cached: registration_svc
    try:
        polled = await probe.http.post("/OadrPoll", content=unknown.encode())
    except httpx.TransportError:
        return False
    if polled.status_code != 200 or "<ei:responseCode>452<" not in polled.text:
        return False
    result, kind, _ = await probe.exchange(
        "EiEvent", "oadrRequestEvent", request_id=new_request_id(), ven_id=probe.ven_id
    )
    if result is not Result.OK or kind != "oadrDistributeEvent":
        return False
    await probe.report()
    if probe.unsent_intervals:
        return False
    result, _, _ = await probe.exchange("OadrPoll", "oadrPoll", ven_id=probe.ven_id)  # a sighting for presence_svc
    if result is not Result.OK:
        return False
    try:
        if (await admin.get("/vens", params={"limit": 1})).status_code != 200:
            return False
        conn = await asyncpg.connect(stack.database_url, timeout=3)
    except (httpx.TransportError, OSError, asyncpg.PostgresError, TimeoutError):
        return False
    try:
        last_seen = await conn.fetchval("SELECT last_seen FROM ven_presence WHERE ven_id = $1", probe.ven_id)
    finally:
        await conn.close()
    return last_seen is not None and last_seen > since


async def recovered_at(stack: FaultStack, probe: SimulatedVen, since: datetime, admin: httpx.AsyncClient) -> float:
    deadline = time.monotonic() + RECOVERY_BOUND_SECONDS * 2
    while not await _serves(stack, probe, since, admin):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the VTN did not serve again within {RECOVERY_BOUND_SECONDS * 2:.0f} s\n{stack.logs()}"
            )
        await asyncio.sleep(0.3)
    return time.monotonic()


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name.split(",")[0].replace(" ", "-") for f in FAULTS])
async def test_nothing_acknowledged_is_lost(
    fault: Fault, fault_stack: FaultStack, fleet: Fleet, admin: httpx.AsyncClient
) -> None:
    ledger = fleet.ledger
    ledger.phase = fault.name
    label = fault.name.split(",")[0].replace(" ", "-").lower()
    steady = await create_event(admin, fleet.ven_ids, f"{label}-before")
    assert not await wait_answered(fleet, [steady], STEADY_TIMEOUT), "not at full service before the fault"

    # The racing event's deliveries and answers meet the fault: it is created while the fault is on, or, where
    # the fault stops the admin API, just before it.
    if not fault.admin_up:
        racing = await create_event(admin, fleet.ven_ids, f"{label}-racing")
    started = time.monotonic()
    injected = asyncio.ensure_future(asyncio.to_thread(inject, fault, fault_stack))
    if fault.admin_up:
        await asyncio.sleep(0.5)
        racing = await create_event(admin, fleet.ven_ids, f"{label}-racing")
    over, over_wall = await injected
    back = await recovered_at(fault_stack, fleet.probe, over_wall, admin)
    late = await wait_answered(fleet, [racing], 15)
    after = await create_event(admin, fleet.ven_ids, f"{label}-after")
    unanswered = await wait_answered(fleet, [steady, racing, after], STEADY_TIMEOUT)
    ledger.phase = f"after {fault.name}"

    during = ledger.outcomes_between(started, back)
    conn = await asyncpg.connect(fault_stack.database_url)
    try:
        answers, intervals = await audit(
            conn,
            fault_stack.kafka_bootstrap,
            ledger.answers_in(fault.name),
            ledger.intervals_in(fault.name),
            AUDIT_TIMEOUT,
        )
    finally:
        await conn.close()
    for event_id in (steady, racing, after):
        await admin.delete(f"/events/{event_id}")
    row = Row(
        fault=fault.name,
        requests=len(during),
        unavailable=sum(1 for o in during if o.result is Result.UNAVAILABLE),
        no_answer=sum(1 for o in during if o.result is Result.NO_ANSWER),
        wrong=sum(1 for o in during if o.result is Result.OTHER),
        answers=answers,
        intervals=intervals,
        deliveries_late=len(late),
        recovery_seconds=back - over,
    )
    ROWS[fault.name] = row
    OUTCOMES[fault.name] = dict(Counter(f"{o.message_type} {o.result.value}: {o.detail}" for o in during).most_common())
    wrong = sorted({o.detail for o in during if o.result is Result.OTHER})
    assert fleet.failures() == []
    assert row.lost == 0, (answers, intervals)
    assert row.wrong == 0, wrong
    assert intervals.doubled_in_db == 0 and intervals.doubled_on_topic == 0, intervals  # exactly once
    assert answers.acknowledged > 0 and intervals.acknowledged > 0
    assert row.recovery_seconds <= RECOVERY_BOUND_SECONDS, row
    assert not unanswered, f"{len(unanswered)} (VEN, event) never answered after recovery: {unanswered[:5]}"


async def test_the_fault_table_is_complete_and_nothing_was_lost_across_faults(
    fault_stack: FaultStack, fleet: Fleet
) -> None:
    """Every fault has its row, and everything acknowledged since the start is still stored and published."""
    ledger = fleet.ledger
    ledger.phase = "end"
    table = "\n".join([HEADER, *(ROWS[f.name].markdown() for f in FAULTS if f.name in ROWS)])
    path = fault_stack.results_dir / "fault-table.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table + "\n")
    (fault_stack.results_dir / "fault-outcomes.json").write_text(json.dumps(OUTCOMES, indent=1) + "\n")
    print(f"\n{table}\n(written to {path})")
    conn = await asyncpg.connect(fault_stack.database_url)
    try:
        _, intervals = await audit(
            conn, fault_stack.kafka_bootstrap, set(), set(ledger.report_intervals), AUDIT_TIMEOUT
        )
    finally:
        await conn.close()
    assert intervals.lost == 0 and intervals.doubled_on_topic == 0, intervals
    # Two report_svc instances published report data side by side, lanes moving between them at each fault:
    # still every VEN's records are on one partition, in the order they were stored.
    counts = await read_topics(fault_stack.kafka_bootstrap)
    assert counts.report_intervals and counts.report_order_breaks == [], counts.report_order_breaks[:5]
    assert [f.name for f in FAULTS if f.name not in ROWS] == []
    page = (REPO_ROOT / "docs" / "reliability.md").read_text()
    assert "## Nothing lost under faults" in page and HEADER in page, "docs/reliability.md's fault table differs"
    assert all(f"| {f.name} |" in page for f in FAULTS), "docs/reliability.md's fault table lacks a fault"

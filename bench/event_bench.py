"""Event delivery benchmark: from an event's creation (then its modification, then its cancellation) until
every polling VEN has it and every answer is where a backend reads it, this VTN side by side with OpenLEADR.

    python -m bench.event_bench --vens 1000 --rounds 3
    python -m bench.event_bench --vens 10000 --poll-seconds 10 --rounds 1
    python -m bench.event_bench --vens 1000 --events 100 --groups 10 --phases create
    python -m bench.event_bench --vens 1000 --events 100 --groups 10 --phases create --targets vtn,vtn-batch
    python -m bench.event_bench --vens 1000 --targets vtn,vtn-mixed --profile-a-share 0.5 --rounds 3

Each simulated VEN (bench.event_vens) registers, then polls every `--poll-seconds` from a random phase on its
own keep-alive connection and answers every new event version with oadrCreatedEvent optIn. After a warm-up
(every VEN has polled; an event for every VEN created and cancelled, unmeasured, as a VTN in service has
handled events before), each phase changes `--events` events, every VEN being in `--events / --groups` of
them (one event: every VEN):
- OpenLEADR (bench.openleadr_event_vtn): `add_event`, a modification, `cancel_event` for every VEN's copy,
  answers counted by its callback;
- this VTN (bench.vtn_stack, the whole stack): `POST /api/v1/events` (targeting the venIDs, or the VENs'
  groups when there are several events), `PATCH /api/v1/events/{id}`, `POST /api/v1/events/{id}/cancel` on
  the admin API, all at once; answers counted on `oadr.event.responses.v1` by their Kafka timestamps;
- this VTN, events created in batches (`vtn-batch`): the same, but the events are created with one
  `POST /api/v1/event-batches` (per 100 events, the default VTN_EVENT_BATCH_MAX);
- this VTN over XMPP (`vtn-xmpp`, bench.xmpp_target): the same calls; the VENs (bench.xmpp_vens) log in to the
  stack's XMPP server with certificates of their own, register over XMPP and get every set as an IQ, answered
  with the IQ result, then oadrCreatedEvent as a request; their process's CPU is reported with the stack's;
- this VTN, mixed profiles (`vtn-mixed`, `--profile-a-share F`): the same, but the share F of the VENs on
  OpenADR 2.0a (bench.event_vens.ProfileAEventVen: provisioned through the admin API, pulling their set with
  oadrRequestEvent as often as the others poll, answering in 2.0a); next to `vtn`, what 2.0a VENs cost.
Times run from the moment the operator's calls returned; the calls' own duration is shown apart. The CPU
of every process over each phase, and over as long a stretch of plain polling before it, goes into the JSON
output (`--json FILE`), which `bench.sizing` reads: per process of the target (the whole stack, or
OpenLEADR's server) and, under CLIENT_LABEL, this benchmark's own process, where the simulated VENs (and the
answer watcher) run. Each CPU second is counted once: this process is measured once, whatever the target's
process list holds, and `client_cpu_seconds` is read from the same entry.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.cpu import cpu_seconds_by_label
from bench.event_vens import EventVen, Expectation, HeldEvent, ProfileAEventVen
from bench.loadgen.config import VtnAddress
from bench.loadgen.push_server import PushVenServer
from bench.loadgen.system import raise_open_file_limit
from bench.loadgen.ven import RegistrationFailed
from bench.memory import memory_mb
from bench.openleadr_event_vtn import copy_id
from bench.targets import BASE_PATH, LOOPBACK, ManagedServer
from bench.vtn_stack import ADMIN_PORT, HTTP_PORT, KAFKA_BOOTSTRAP, FullStack
from bench.xmpp_target import XmppTarget
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.events import CreateEvent
from shared.db.access import DatabaseAccess
from shared.db.pool import open_pool
from shared.oadr.event import ActivePeriod
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target as OadrTarget

# The label of this process's CPU in PhaseRun.cpu_seconds: the simulated VENs and the answer watcher run here
CLIENT_LABEL = "bench.event_bench"
OPENLEADR_PORT = int(os.environ.get("VTN_BENCH_OPENLEADR_PORT", "8290"))
# Push VENs are devices, each its own host; a few per host keeps every host under the pusher's per-host cap.
PUSH_VENS_PER_HOST = 50
PUSH_NETWORKS = {"VTN_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8"}  # the push VENs' endpoints are on loopback
REGISTER_CONCURRENCY = 64
REGISTER_ATTEMPTS = 5
ADMIN_CONCURRENCY = 32
ADMIN_ATTEMPTS = 30  # an admin command answered 503 is asked again this many times, at most
PHASES = ("create", "modify", "cancel")
MODIFICATION_OF_PHASE = {"create": 0, "modify": 1, "cancel": 2}
DEVELOPMENT_ADMIN_TOKEN = "dev-admin-token"
EVENT_BATCH = 100  # events per POST /event-batches: the stack's VTN_EVENT_BATCH_MAX (its default)
# Rows a phase adds on this VTN: one body per distinct set stored, one queued copy per VEN (its handout).
ROWS_WRITTEN_TABLES = ("pending_bodies", "pending_messages")  # the stack runs with VTN_ENVIRONMENT=development


@dataclass(frozen=True)
class Shape:
    vens: int
    poll_seconds: float
    events: int
    groups: int
    phases: tuple[str, ...]
    timeout: float
    push_vens_per_host: int = PUSH_VENS_PER_HOST

    @property
    def push_hosts(self) -> int:
        """The hosts the push VENs' endpoints are spread over (bench.loadgen.push_server)."""
        return -(-self.vens // self.push_vens_per_host)

    @property
    def warmup(self) -> float:
        """Every VEN has polled (and so been answered from the gateway's cache) before the first phase."""
        return max(3.0, self.poll_seconds + 2.0)


@dataclass
class PhaseRun:
    target: str
    phase: str
    vens: int
    events: int
    poll_seconds: float
    call_seconds: float  # how long the operator's calls took to return
    received: int  # VENs that got everything the phase changed
    answers: int
    answers_expected: int
    delivered_seconds: float | None  # from the calls' return until the last VEN had it all
    answered_seconds: float | None  # ... until the last answer was where the backend reads it
    poll_errors: dict[str, int] = field(default_factory=dict)
    answer_errors: int = 0
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per process (CLIENT_LABEL: this one), over the phase
    idle_cpu_seconds: dict[str, float] = field(default_factory=dict)  # per process, polling only, as long
    memory_mb: dict[str, float] = field(default_factory=dict)  # per process, after the phase
    first_delivered_seconds: float | None = None  # from the calls' return until the first VEN had it all
    median_delivered_seconds: float | None = None  # ... until half the VENs had it all
    rows_written: dict[str, int] = field(default_factory=dict)  # per table, rows added over the phase (this VTN)
    phase_seconds: float = 0.0  # from the calls until the last VEN and answer (or the timeout)

    @property
    def client_cpu_seconds(self) -> float:
        """The benchmark's own process (the simulated VENs), over the phase: its entry in `cpu_seconds`."""
        return self.cpu_seconds.get(CLIENT_LABEL, 0.0)


def membership(shape: Shape, ven_index: int) -> list[int]:
    """The events (by number) VEN `ven_index` is in: one event, every VEN; else the events of its group."""
    if shape.events == 1:
        return [0]
    group = ven_index % shape.groups
    return [number for number in range(shape.events) if number % shape.groups == group]


def expectation(phase: str, wanted: set[str]) -> Expectation:
    """What a VEN must hold once the phase reached it: every event in `wanted`, at the phase's version."""
    modification = MODIFICATION_OF_PHASE[phase]

    def met(events: dict[str, HeldEvent]) -> bool:
        for event_id in wanted:
            held = events.get(event_id)
            if held is None or held.modification_number < modification:
                return False
            if phase == "cancel" and held.status != "cancelled":
                return False
        return True

    return met


async def register_all(url: str, count: int, push: PushVenServer | None = None) -> list[EventVen]:
    """`count` VENs registered with the VTN at `url`: polling, or with `push` in the push model, each with its
    endpoint on that server (pushes kept and answered as a polled set is)."""
    address = VtnAddress.parse(url)
    names = [f"event-bench-{uuid.uuid4().hex[:8]}-{i}" for i in range(count)]
    vens = [EventVen(name, address, 60.0, push.address_of(name) if push else None) for name in names]
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def register(ven: EventVen) -> None:
        """Asked again after a 503 (the VTN's services did not answer in time, e.g. on a loaded machine), as a
        VEN would."""
        async with limit:
            for attempt in range(REGISTER_ATTEMPTS):
                try:
                    await ven.register()
                    return
                except RegistrationFailed as failed:
                    if not str(failed).endswith("http_503") or attempt == REGISTER_ATTEMPTS - 1:
                        raise
                await asyncio.sleep(1.0)

    await asyncio.gather(*(register(v) for v in vens))
    if push is not None:
        for ven in vens:
            endpoint = push.endpoint(ven.name)
            endpoint.ven_id = str(ven.ven_id)
            endpoint.on_push = ven.take_push
    return vens


Trigger = Callable[[str, dict[str, list[str]]], Awaitable[None]]  # phase, eventID -> its venIDs
AnswerProbe = Callable[[str, set[str]], Awaitable[tuple[int, float]]]  # phase, events -> (answers, time of last)
EventIds = Callable[[str, str], str]  # the eventID a VEN sees for (event, venID)


@dataclass
class Target:
    name: str
    url: str
    trigger: Trigger
    answers: AnswerProbe
    seen_as: EventIds
    pids: Callable[[], list[int]]
    prepare: Callable[[list[EventVen]], Awaitable[None]] | None = None  # once the VENs registered
    push: PushVenServer | None = None  # the VENs' endpoints, when they are pushed to
    profile_a_share: float = 0.0  # the share of the VENs on OpenADR 2.0a, made by `provision_profile_a`
    provision_profile_a: Callable[[int], Awaitable[list[EventVen]]] | None = None
    make_vens: Callable[[int], Awaitable[list[EventVen]]] | None = None  # VENs of another transport (XMPP)
    last_row_ids: Callable[[], Awaitable[dict[str, int]]] | None = None  # per table, for the rows a phase adds


def warm_up_shape(shape: Shape) -> Shape:
    """The events of the warm-up: one for every VEN (or one per group), created and cancelled unmeasured."""
    return dataclasses.replace(shape, events=shape.groups if shape.events > 1 else 1, timeout=max(shape.timeout, 120))


def audience(shape: Shape, vens: list[EventVen], event_ids: list[str]) -> tuple[list[list[str]], dict[str, list[str]]]:
    """Each VEN's events, and each event's venIDs."""
    per_ven = [[event_ids[n] for n in membership(shape, i)] for i in range(len(vens))]
    by_event: dict[str, list[str]] = {event_id: [] for event_id in event_ids}
    for ven, events in zip(vens, per_ven, strict=True):
        for event_id in events:
            by_event[event_id].append(str(ven.ven_id))
    return per_ven, by_event


async def measure(target: Target, shape: Shape, event_ids: list[str], warm_ids: list[str]) -> list[PhaseRun]:
    """Register the VENs, let them poll, warm the target up with events created and cancelled (as a VTN in
    service has handled events before), then measure each phase."""
    profile_a = round(shape.vens * target.profile_a_share) if target.provision_profile_a is not None else 0
    if target.make_vens is not None:
        vens = await target.make_vens(shape.vens - profile_a)
    else:
        vens = await register_all(target.url, shape.vens - profile_a, target.push)
    if target.provision_profile_a is not None and profile_a:
        vens += await target.provision_profile_a(profile_a)
    if target.prepare is not None:
        await target.prepare(vens)
    stop = asyncio.Event()
    pollers = [asyncio.create_task(v.run(stop, random.random() * shape.poll_seconds, shape.poll_seconds)) for v in vens]
    runs = []
    try:
        await asyncio.sleep(shape.warmup)
        warm_shape = warm_up_shape(shape)
        warm_per_ven, warm_by_event = audience(warm_shape, vens, warm_ids)
        for phase in ("create", "cancel"):
            await _phase(target, warm_shape, phase, vens, warm_per_ven, warm_by_event)
        per_ven, by_event = audience(shape, vens, event_ids)
        for phase in shape.phases:
            runs.append(await _phase(target, shape, phase, vens, per_ven, by_event))
    finally:
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        for ven in vens:
            await ven.close()
    return runs


async def _phase(
    target: Target,
    shape: Shape,
    phase: str,
    vens: list[EventVen],
    per_ven: list[list[str]],
    by_event: dict[str, list[str]],
) -> PhaseRun:
    for ven, events in zip(vens, per_ven, strict=True):
        ven.expect(expectation(phase, {target.seen_as(e, str(ven.ven_id)) for e in events}))
    errors_before = _poll_errors(vens)
    answers_before = sum(v.answer_errors for v in vens)
    idle_before = _cpu_seconds(target)
    rows_before = await target.last_row_ids() if target.last_row_ids is not None else {}
    sent = time.time()
    await target.trigger(phase, by_event)
    called = time.time()
    idle_seconds = called - sent  # the phase's CPU is compared with plain polling over as long a stretch
    expected = sum(len(events) for events in per_ven)
    deadline = time.monotonic() + shape.timeout
    answered, last_at = await target.answers(phase, set(by_event))
    while (answered < expected or any(v.tracking.met_at is None for v in vens)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        answered, last_at = await target.answers(phase, set(by_event))
    done = time.time()
    phase_cpu = _used(idle_before, _cpu_seconds(target))
    rows_after = await target.last_row_ids() if target.last_row_ids is not None else {}
    memory = {label: round(mb, 1) for label, mb in memory_mb(target.pids()).items()}
    # Plain polling over as long a stretch as the phase took, for the cost of the phase alone.
    quiet_before = _cpu_seconds(target)
    await asyncio.sleep(min(done - sent, 20.0))
    quiet_seconds = time.time() - done
    quiet = _used(quiet_before, _cpu_seconds(target))
    scale = (done - sent) / quiet_seconds if quiet_seconds > 0 else 0.0
    met = [v.tracking.met_at for v in vens if v.tracking.met_at is not None]
    errors_after = _poll_errors(vens)
    return PhaseRun(
        target=target.name,
        phase=phase,
        vens=len(vens),
        events=len(by_event),
        poll_seconds=shape.poll_seconds,
        call_seconds=round(idle_seconds, 3),
        received=len(met),
        answers=answered,
        answers_expected=expected,
        delivered_seconds=round(max(met) - called, 3) if len(met) == len(vens) else None,
        first_delivered_seconds=round(min(met) - called, 3) if met else None,
        median_delivered_seconds=round(statistics.median(met) - called, 3) if len(met) == len(vens) else None,
        answered_seconds=round(last_at - called, 3) if answered >= expected else None,
        poll_errors={k: n - errors_before.get(k, 0) for k, n in errors_after.items() if n > errors_before.get(k, 0)},
        answer_errors=sum(v.answer_errors for v in vens) - answers_before,
        cpu_seconds={label: round(seconds, 3) for label, seconds in phase_cpu.items()},
        idle_cpu_seconds={label: round(seconds * scale, 3) for label, seconds in quiet.items()},
        memory_mb=memory,
        rows_written={table: rows_after[table] - rows_before.get(table, 0) for table in rows_after},
        phase_seconds=round(done - sent, 3),
    )


def _cpu_seconds(target: Target) -> dict[str, float]:
    """CPU seconds used so far per process of the target, and by this process under CLIENT_LABEL: measured once,
    even when the target's list names this process too."""
    own = os.getpid()
    totals = cpu_seconds_by_label([pid for pid in target.pids() if pid != own])
    times = os.times()
    totals[CLIENT_LABEL] = totals.get(CLIENT_LABEL, 0.0) + times.user + times.system
    return totals


def _poll_errors(vens: Sequence[EventVen]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for ven in vens:
        for kind, count in ven.poll_errors.items():
            totals[kind] = totals.get(kind, 0) + count
    return totals


def _used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {label: total - before.get(label, 0.0) for label, total in after.items() if total > before.get(label, 0.0)}


async def run_openleadr(
    shape: Shape, port: int, log_dir: Path, event_ids: list[str], warm_ids: list[str]
) -> list[PhaseRun]:
    server = ManagedServer(
        "openleadr-events", [sys.executable, "-m", "bench.openleadr_event_vtn", "--port", str(port)], port, log_dir
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}", timeout=600) as control:

            async def trigger(phase: str, by_event: dict[str, list[str]]) -> None:
                events = [{"event_id": event_id, "ven_ids": ven_ids} for event_id, ven_ids in by_event.items()]
                (await control.post("/bench/phase", json={"phase": phase, "events": events})).raise_for_status()

            async def answers(_: str, __: set[str]) -> tuple[int, float]:
                found = (await control.get("/bench/answers")).json()
                return int(found["count"]), float(found["last_at"])

            target = Target("OpenLEADR", f"http://{LOOPBACK}:{port}{BASE_PATH}", trigger, answers, copy_id, server.pids)
            return await measure(target, shape, event_ids, warm_ids)
    finally:
        server.stop()


def vtn_event(event_id: str, targets: OadrTarget) -> CreateEvent:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    return CreateEvent(
        event_id=event_id,
        active_period=ActivePeriod(dtstart=start, duration=timedelta(minutes=5)),
        signals=(level_signal(1.0),),
        targets=targets,
    )


def level_signal(level: float) -> EventSignal:
    return EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="s1",
        intervals=(Interval(duration=timedelta(minutes=5), payload=level),),
    )


class AnswerWatcher:
    """The bench's events' answers on the event-responses topic: (VEN, event, modification) -> Kafka time."""

    def __init__(self, bootstrap: str, event_ids: set[str]) -> None:
        self._consumer = clients.consumer(
            KafkaConnection(bootstrap), topics.EVENT_RESPONSES, group_id=None, auto_offset_reset="latest"
        )
        self._event_ids = event_ids
        self.seen: dict[tuple[str, str, int], float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for record in self._consumer:
            payload = json.loads(record.value or b"{}").get("payload", {})  # lighter than the envelope model
            if payload.get("kind") == "event_response" and payload.get("event_id") in self._event_ids:
                key = (payload["ven_id"], payload["event_id"], int(payload["modification_number"]))
                self.seen.setdefault(key, record.timestamp / 1000)

    def of_phase(self, phase: str, event_ids: set[str]) -> tuple[int, float]:
        """The answers to `event_ids` at the phase's modificationNumber, and when the last reached the topic."""
        modification = MODIFICATION_OF_PHASE[phase]
        times = [t for (_, event, number), t in self.seen.items() if number == modification and event in event_ids]
        return len(times), max(times, default=0.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def admin_calls(admin: httpx.AsyncClient, calls: list[tuple[str, str, object]]) -> None:
    limit = asyncio.Semaphore(ADMIN_CONCURRENCY)

    async def call(method: str, path: str, body: object) -> None:
        """Asked again with the same Idempotency-Key while the VTN answers 503 (its services did not answer
        within the reply timeout: the command may be under way, and the key gets its outcome)."""
        key = uuid.uuid4().hex
        async with limit:
            for _ in range(ADMIN_ATTEMPTS):
                answer = await admin.request(method, path, json=body, headers={"Idempotency-Key": key})
                if answer.status_code != 503:
                    break
                await asyncio.sleep(0.5)
            if answer.status_code >= 300:
                raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")

    await asyncio.gather(*(call(m, p, b) for m, p, b in calls))


def in_batches(calls: list[tuple[str, str, object]]) -> list[tuple[str, str, object]]:
    """The calls creating events as `POST /event-batches` calls of EVENT_BATCH events each; others as they are."""
    creations = [body for method, path, body in calls if (method, path) == ("POST", "/events")]
    others = [call for call in calls if call[:2] != ("POST", "/events")]
    batches = [creations[start : start + EVENT_BATCH] for start in range(0, len(creations), EVENT_BATCH)]
    return [("POST", "/event-batches", {"events": batch}) for batch in batches] + others


async def run_vtn(
    shape: Shape,
    log_dir: Path,
    kafka_bootstrap: str,
    event_ids: list[str],
    warm_ids: list[str],
    pushed: bool = False,
    profile_a_share: float = 0.0,
    xmpp: bool = False,
    batched: bool = False,
) -> list[PhaseRun]:
    """The whole stack, its VENs polling, or (`pushed`) registered in the push model, or (`xmpp`) over XMPP;
    `profile_a_share` of them OpenADR 2.0a VENs pulling their sets; `batched`: events created in batches."""
    xmpp_vens = XmppTarget(shape.vens) if xmpp else None
    xmpp_vens_ca = None if xmpp_vens is None else xmpp_vens.ca_file
    stack = FullStack(log_dir, PUSH_NETWORKS if pushed else None, xmpp_vens_ca=xmpp_vens_ca)
    stack.start()
    watcher = AnswerWatcher(kafka_bootstrap, set(event_ids) | set(warm_ids))
    headers = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
    push = PushVenServer(hosts=shape.push_hosts) if pushed else None
    try:
        await watcher.start()
        if push is not None:
            await push.start()
        async with httpx.AsyncClient(
            base_url=f"http://{LOOPBACK}:{ADMIN_PORT}/api/v1", headers=headers, timeout=600
        ) as admin:
            grouped = shape.events > 1

            async def trigger(phase: str, by_event: dict[str, list[str]]) -> None:
                calls: list[tuple[str, str, object]] = []
                for number, (event_id, ven_ids) in enumerate(by_event.items()):
                    if phase == "create":
                        targets = (
                            OadrTarget(group_ids=(f"group-{number % shape.groups}",))
                            if grouped
                            else OadrTarget(ven_ids=tuple(ven_ids))
                        )
                        calls.append(("POST", "/events", vtn_event(event_id, targets).model_dump(mode="json")))
                    elif phase == "modify":
                        changes = {"signals": [level_signal(2.0).model_dump(mode="json")]}
                        calls.append(("PATCH", f"/events/{event_id}", changes))
                    else:
                        calls.append(("POST", f"/events/{event_id}/cancel", None))
                await admin_calls(admin, in_batches(calls) if batched else calls)

            async def answers(phase: str, events: set[str]) -> tuple[int, float]:
                return watcher.of_phase(phase, events)

            async def in_groups(vens: list[EventVen]) -> None:
                calls: list[tuple[str, str, object]] = [
                    ("PUT", f"/vens/{ven.ven_id}/memberships", {"group_ids": [f"group-{i % shape.groups}"]})
                    for i, ven in enumerate(vens)
                ]
                await admin_calls(admin, calls)

            async def provision(count: int) -> list[EventVen]:
                address = VtnAddress.parse(f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}")
                names = [f"event-bench-a-{uuid.uuid4().hex[:8]}-{i}" for i in range(count)]
                await admin_calls(admin, [("POST", "/vens", {"profile_name": "2.0a", "ven_id": n}) for n in names])
                return [ProfileAEventVen(name, address, 60.0) for name in names]

            async def last_row_ids() -> dict[str, int]:
                return await last_ids(stack.database_url, ROWS_WRITTEN_TABLES)

            name = "this VTN (push)" if pushed else "this VTN (XMPP)" if xmpp_vens else "this VTN"
            name += " (one batch)" if batched else ""
            if profile_a_share:
                name = f"this VTN ({profile_a_share:.0%} on 2.0a)"
            target = Target(
                name,
                f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}",
                trigger,
                answers,
                lambda event_id, _: event_id,
                stack.pids,  # this process (the simulated VENs) is measured apart, as for every target
                in_groups if grouped else None,
                push,
                profile_a_share,
                provision if profile_a_share else None,
                None if xmpp_vens is None else xmpp_vens.fleet(stack),
                last_row_ids,
            )
            return await measure(target, shape, event_ids, warm_ids)
    finally:
        if push is not None:
            await push.stop()
        await watcher.stop()
        stack.stop()


async def last_ids(database_url: str, tables: Sequence[str]) -> dict[str, int]:
    """The highest id of each table (bigserial ids: their growth over a phase is the rows it added)."""
    pool = await open_pool(DatabaseAccess(database_url), 1, 1)
    try:
        return {table: int(await pool.fetchval(f"SELECT COALESCE(max(id), 0) FROM {table}")) for table in tables}
    finally:
        await pool.close()


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value and base else "-"


def table(runs: list[PhaseRun]) -> str:
    """One row per target and phase; ratios to the first target's row of the same phase."""
    base = {run.phase: run for run in runs if run.target == runs[0].target}
    lines = [
        "| target | phase | VENs | events | poll (s) | calls (s) | first / half received (s) | all received (s) "
        "| all answers (s) | received ÷ OpenLEADR | answers ÷ OpenLEADR | received | answers | poll errors "
        "| front process (MB) | VENs' own CPU (%) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for run in runs:
        first = base[run.phase]
        errors = ", ".join(f"{kind} {count}" for kind, count in sorted(run.poll_errors.items())) or "0"
        lines.append(
            f"| {run.target} | {run.phase} | {run.vens} | {run.events} | {run.poll_seconds:g} | {run.call_seconds:.2f} "
            f"| {_seconds(run.first_delivered_seconds)} / {_seconds(run.median_delivered_seconds)} "
            f"| {_seconds(run.delivered_seconds)} | {_seconds(run.answered_seconds)} "
            f"| {_ratio(run.delivered_seconds, first.delivered_seconds)} "
            f"| {_ratio(run.answered_seconds, first.answered_seconds)} "
            f"| {run.received} | {run.answers}/{run.answers_expected} | {errors} "
            f"| {front_memory_mb(run):.0f} | {client_cpu_percent(run):.0f} |"
        )
    return "\n".join(lines)


def front_memory_mb(run: PhaseRun) -> float:
    """The memory of the process VENs talk to: the gateway's, or the whole of a single-process server's."""
    return run.memory_mb.get("gateway", sum(run.memory_mb.values()))


def client_cpu_percent(run: PhaseRun) -> float:
    """The simulated VENs' CPU over the phase, in % of one core: near 100, the VENs, not the VTN, set the pace."""
    return 100 * run.client_cpu_seconds / run.phase_seconds if run.phase_seconds else 0.0


def summary(rounds: list[list[PhaseRun]]) -> str:
    """Per phase, the medians over the rounds of each target's times and of the ratios to the first target."""
    lines = []
    names = list(dict.fromkeys(run.target for runs in rounds for run in runs))
    phases = list(dict.fromkeys(run.phase for runs in rounds for run in runs))
    for phase in phases:
        for name in names:
            of = [next((r for r in runs if r.target == name and r.phase == phase), None) for runs in rounds]
            first = [next((r for r in runs if r.target == names[0] and r.phase == phase), None) for runs in rounds]
            received = [r.delivered_seconds for r in of if r is not None and r.delivered_seconds is not None]
            answered = [r.answered_seconds for r in of if r is not None and r.answered_seconds is not None]
            ratios = [
                (r.delivered_seconds / b.delivered_seconds, r.answered_seconds / b.answered_seconds)
                for r, b in zip(of, first, strict=True)
                if r and b and r.delivered_seconds and b.delivered_seconds and r.answered_seconds and b.answered_seconds
            ]
            line = (
                f"{phase}, {name}: median all received {_median(received)} s, all answers {_median(answered)} s "
                f"over {len(of)} round(s)"
            )
            if name != names[0] and ratios:
                received_ratio, answers_ratio = _median([a for a, _ in ratios]), _median([b for _, b in ratios])
                line += f"; ÷ {names[0]}: received {received_ratio}, answers {answers_ratio}"
            lines.append(line)
    return "\n".join(lines)


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


async def main_async(
    shape: Shape,
    openleadr_port: int,
    kafka_bootstrap: str,
    targets: list[str],
    rounds: int,
    profile_a_share: float = 0.5,
) -> list[list[PhaseRun]]:
    """Each round runs the targets one after the other, in order (alternating over the rounds)."""
    log_dir = Path(tempfile.mkdtemp(prefix="event-bench-"))
    results = []
    for _ in range(rounds):
        runs: list[PhaseRun] = []
        for name in targets:
            event_ids = [f"bench-{uuid.uuid4().hex[:12]}-{n}" for n in range(shape.events)]
            warm_ids = [f"warm-up-{uuid.uuid4().hex[:12]}-{n}" for n in range(warm_up_shape(shape).events)]
            if name == "openleadr":
                runs += await run_openleadr(shape, openleadr_port, log_dir, event_ids, warm_ids)
            else:
                share_on_a = profile_a_share if name == "vtn-mixed" else 0.0
                runs += await run_vtn(
                    shape,
                    log_dir,
                    kafka_bootstrap,
                    event_ids,
                    warm_ids,
                    name == "vtn-push",
                    share_on_a,
                    xmpp=name == "vtn-xmpp",
                    batched=name == "vtn-batch",
                )
        results.append(runs)
    return results


def share(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("a share is above 0 and at most 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_bench", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="each VEN polls this often")
    parser.add_argument("--events", type=int, default=1, help="events created at once")
    parser.add_argument("--groups", type=int, default=10, help="with several events: VENs in this many groups")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated, in order: create, modify, cancel")
    parser.add_argument("--rounds", type=int, default=1, help="run the targets this many times, alternating")
    parser.add_argument(
        "--targets",
        default="openleadr,vtn",
        help="comma-separated, in order: openleadr, vtn, vtn-push (push VENs), vtn-xmpp (XMPP VENs), "
        "vtn-mixed (some on 2.0a), vtn-batch (events created in batches)",
    )
    parser.add_argument(
        "--profile-a-share", type=share, default=0.5, help="the share of the VENs on OpenADR 2.0a (vtn-mixed)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on a phase after this many seconds")
    parser.add_argument(
        "--push-vens-per-host",
        type=int,
        default=PUSH_VENS_PER_HOST,
        help="push VENs sharing one endpoint host (a loopback address); the VENs' count: all on one host",
    )
    parser.add_argument("--openleadr-port", type=int, default=OPENLEADR_PORT)
    parser.add_argument("--json", type=Path, default=None, help="also write every phase's figures to this file")
    arguments = parser.parse_args(argv)
    phases = tuple(arguments.phases.split(","))
    if not set(phases) <= set(PHASES) or "create" not in phases[:1]:
        parser.error("--phases must start with create and name only create, modify, cancel")
    raise_open_file_limit()
    if arguments.push_vens_per_host < 1:
        parser.error("--push-vens-per-host must be at least 1")
    shape = Shape(
        arguments.vens,
        arguments.poll_seconds,
        arguments.events,
        arguments.groups,
        phases,
        arguments.timeout,
        arguments.push_vens_per_host,
    )
    rounds = asyncio.run(
        main_async(
            shape,
            arguments.openleadr_port,
            KAFKA_BOOTSTRAP,
            arguments.targets.split(","),
            arguments.rounds,
            arguments.profile_a_share,
        )
    )
    print(f"python -m bench.event_bench {' '.join(argv if argv is not None else sys.argv[1:])}\n")
    print("\n\n".join(table(runs) for runs in rounds))
    print(f"\n{summary(rounds)}")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps([[asdict(run) for run in runs] for runs in rounds], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Event delivery benchmark: from one event created for N VENs until every VEN has received it and every answer
is where the backend reads it; OpenLEADR (pull), this VTN with the VENs polling, and this VTN pushing to them,
side by side in one run; for this VTN also the event's modification and its cancellation.

    python -m bench.event_bench --vens 1000

- OpenLEADR (bench.openleadr_event_vtn): VENs poll once a second (random phase) on their own keep-alive
  connections; `add_event` for each VEN; answers counted by its callback.
- this VTN, pull (bench.vtn_stack, the whole stack): the same fleet polling once a second; the event created
  with `POST /api/v1/events` targeting every venID, then modified (`PATCH`) and cancelled (`POST .../cancel`);
  answers counted on `oadr.event.responses.v1` (time: the records' Kafka timestamps).
- this VTN, push: N VENs registered with oadrHttpPullModel false, their endpoints on one HTTP server in this
  process (bench.loadgen.push_server), each answering a push as the spec says and then sending its
  oadrCreatedEvent on its own keep-alive connection. Same event, same phases.

- this VTN, mixed profiles (`--models mixed`, `--profile-a-share F`): the pull fleet again, but the share F of
  it OpenADR 2.0a VENs (provisioned through the admin API, pulling their set with oadrRequestEvent once a
  second, bench.loadgen.profile_a_ven): in the same run as the all-2.0b pull fleet, what 2.0a VENs cost.

Every VEN answers every event set with oadrCreatedEvent optIn for each event and modification it has not
answered yet (the XML OpenLEADR's client renders, or the 2.0a form). Times are seconds from the command
(add_event, the POST, PATCH or cancel) until the last VEN had the set with that modification, and until the
last answer to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from bench.loadgen import messages, profile_a_messages
from bench.loadgen.config import VtnAddress
from bench.loadgen.profile_a_ven import PullingVen
from bench.loadgen.push_server import Pushed, PushVenServer, read_push
from bench.loadgen.system import raise_open_file_limit
from bench.loadgen.ven import SimulatedVen
from bench.targets import BASE_PATH, LOOPBACK, ManagedServer
from bench.vtn_stack import ADMIN_PORT, KAFKA_BOOTSTRAP, FullStack, HTTP_PORT
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.events import CreateEvent, EventResponseFact
from shared.oadr.event import ActivePeriod
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target as OadrTarget

OPENLEADR_PORT = int(os.environ.get("VTN_BENCH_OPENLEADR_PORT", "8290"))
WARMUP_SECONDS = 3.0
REGISTER_CONCURRENCY = 64
ADMIN_TOKEN = "dev-admin-token"  # the benchmark stack runs in development
PUSH_NETWORKS = {"VTN_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8"}
PHASES = ("create", "modify", "cancel")
PULL_TARGET = "this VTN (pull, 1 poll/s)"

Key = tuple[str, int]  # (eventID, modificationNumber)


@dataclass
class EventRun:
    target: str
    vens: int
    received: int
    answered: int
    delivered_seconds: float | None
    answered_seconds: float | None
    poll_errors: int
    phase: str = "create"


class Fleet:
    """What the VENs of one run have seen and answered, by (eventID, modificationNumber)."""

    def __init__(self) -> None:
        self.received: dict[Key, dict[str, float]] = {}
        self.errors = 0

    def saw(self, ven_name: str, keys: list[Key]) -> list[Key]:
        """Record a set's events; returns those this VEN sees for the first time (to be answered)."""
        now = time.time()
        fresh = []
        for key in keys:
            seen = self.received.setdefault(key, {})
            if ven_name not in seen:
                seen[ven_name] = now
                fresh.append(key)
        return fresh


class PollingVen(SimulatedVen):
    """Polls once a second and answers each new event (modification) of a set with oadrCreatedEvent optIn."""

    async def run(self, fleet: Fleet, stop: asyncio.Event, phase: float) -> None:
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = await self.send("OadrPoll", messages.poll(str(self.ven_id)))
                if answer.status != 200:  # e.g. 503 when the VTN's services do not answer in time
                    fleet.errors += 1
                elif b"oadrDistributeEvent" in answer.body:
                    pushed = read_push("OadrPoll", answer.body)
                    await self.answer(fleet, pushed)
            except Exception:
                fleet.errors += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    async def answer(self, fleet: Fleet, pushed: Pushed) -> None:
        fresh = fleet.saw(self.name, [(event_id, modification) for event_id, modification, _ in pushed.events])
        if fresh:
            body = messages.created_event(pushed.request_id or "", str(self.ven_id), [(e, m, "optIn") for e, m in fresh])
            answer = await self.send("EiEvent", body)
            if answer.status != 200:
                fleet.errors += 1


class PullingProfileAVen(PullingVen):
    """A 2.0a VEN that pulls its set once a second and answers each new event (modification) with optIn."""

    async def run(self, fleet: Fleet, stop: asyncio.Event, phase: float) -> None:
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                seen = await self.pull()
                if seen is None or seen.message_type != "oadrDistributeEvent":
                    fleet.errors += 1
                elif fresh := fleet.saw(self.ven_id, [(e.event_id, e.modification_number) for e in seen.events]):
                    answers = [profile_a_messages.EventAnswer(e, m, "optIn", seen.request_id or "") for e, m in fresh]
                    body = profile_a_messages.created_event(self.ven_id, seen.request_id or "", answers)
                    if not await self.post(body):
                        fleet.errors += 1
            except Exception:
                fleet.errors += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def register_all(vens: list[SimulatedVen]) -> None:
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def register(ven: SimulatedVen) -> None:
        async with limit:
            await ven.register()

    await asyncio.gather(*(register(v) for v in vens))


async def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


Answers = Callable[[Key], tuple[int, float]]  # answers counted for the key, and the time of the last one


async def measure(
    target: str, phase: str, vens: int, fleet: Fleet, trigger: Callable[[], Awaitable[Key]], answers: Answers, timeout: float
) -> EventRun:
    errors_before = fleet.errors
    started = time.time()
    key = await trigger()
    all_received = await wait_for(lambda: len(fleet.received.get(key, {})) >= vens, timeout)
    await wait_for(lambda: answers(key)[0] >= vens, timeout)
    answered, last_at = answers(key)
    received = fleet.received.get(key, {})
    return EventRun(
        target=target,
        vens=vens,
        received=len(received),
        answered=answered,
        delivered_seconds=max(received.values()) - started if all_received else None,
        answered_seconds=last_at - started if answered >= vens else None,
        poll_errors=fleet.errors - errors_before,
        phase=phase,
    )


# --- OpenLEADR ------------------------------------------------------------------------------------------------
async def run_openleadr(count: int, timeout: float, log_dir: Path) -> EventRun:
    server = ManagedServer(
        "openleadr-events",
        [sys.executable, "-m", "bench.openleadr_event_vtn", "--port", str(OPENLEADR_PORT)],
        OPENLEADR_PORT,
        log_dir,
    )
    server.start()
    try:
        address = VtnAddress.parse(f"http://{LOOPBACK}:{OPENLEADR_PORT}{BASE_PATH}")
        vens = [PollingVen(f"event-bench-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(count)]
        await register_all(list(vens))
        fleet, stop = Fleet(), asyncio.Event()
        pollers = [asyncio.create_task(v.run(fleet, stop, random.random())) for v in vens]
        try:
            async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{OPENLEADR_PORT}", timeout=120) as control:
                await asyncio.sleep(WARMUP_SECONDS)

                async def trigger() -> None:
                    (await control.post("/bench/add-event", json={"ven_ids": [str(v.ven_id) for v in vens]})).raise_for_status()

                counted = [0.0, 0.0]  # answers, time of the last

                async def poll_answers() -> None:
                    while True:
                        found = (await control.get("/bench/answers")).json()
                        counted[:] = [float(found["count"]), float(found["last_at"])]
                        await asyncio.sleep(0.1)

                poller = asyncio.create_task(poll_answers())
                try:
                    return await measure_openleadr(count, fleet, trigger, lambda: (int(counted[0]), counted[1]), timeout)
                finally:
                    poller.cancel()
        finally:
            stop.set()
            await asyncio.gather(*pollers, return_exceptions=True)
            for ven in vens:
                await ven.close()
    finally:
        server.stop()


async def measure_openleadr(
    count: int, fleet: Fleet, trigger: Callable[[], Awaitable[None]], answers: Callable[[], tuple[int, float]], timeout: float
) -> EventRun:
    """OpenLEADR gives each VEN an event of its own: received = every VEN has some new event."""
    before = set(fleet.received)
    started = time.time()
    await trigger()

    def new_per_ven() -> dict[str, float]:
        firsts: dict[str, float] = {}
        for key, seen in fleet.received.items():
            if key in before:
                continue
            for ven, at in seen.items():
                firsts[ven] = min(at, firsts.get(ven, at))
        return firsts

    all_received = await wait_for(lambda: len(new_per_ven()) >= count, timeout)
    await wait_for(lambda: answers()[0] >= count, timeout)
    answered, last_at = answers()
    received = new_per_ven()
    return EventRun(
        "OpenLEADR (pull)", count, len(received), answered,
        max(received.values()) - started if all_received else None,
        last_at - started if answered >= count else None, fleet.errors,
    )  # fmt: skip


# --- this VTN -------------------------------------------------------------------------------------------------
def vtn_event(ven_ids: list[str], event_id: str) -> CreateEvent:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=10)
    signal = EventSignal(
        signal_name=SignalName.SIMPLE,
        signal_type=SignalType.LEVEL,
        signal_id="s1",
        intervals=(Interval(duration=timedelta(minutes=5), payload=1),),
    )
    return CreateEvent(
        event_id=event_id,
        active_period=ActivePeriod(dtstart=start, duration=timedelta(minutes=5)),
        signals=(signal,),
        targets=OadrTarget(ven_ids=tuple(ven_ids)),
    )


@dataclass
class TopicAnswers:
    """oadr.event.responses.v1 as a backend reads it: per (eventID, modification), the answers' timestamps."""

    seen: dict[Key, dict[str, float]] = field(default_factory=dict)

    async def collect(self, consumer: AIOKafkaConsumer) -> None:
        async for record in consumer:
            fact = Envelope.from_bytes(record.value).payload
            if isinstance(fact, EventResponseFact):
                at = record.timestamp / 1000
                self.seen.setdefault((fact.event_id, fact.modification_number), {}).setdefault(fact.ven_id, at)

    def __call__(self, key: Key) -> tuple[int, float]:
        found = self.seen.get(key, {})
        return len(found), max(found.values(), default=0.0)


async def phases_of(
    target: str, fleet: Fleet, ven_ids: list[str], admin: httpx.AsyncClient, answers: TopicAnswers, timeout: float
) -> list[EventRun]:
    event_id = f"bench-{uuid.uuid4().hex}"
    runs = []

    async def create() -> Key:
        body = vtn_event(ven_ids, event_id).model_dump(mode="json", exclude={"kind"})
        await command(admin, "POST", "/events", body)
        return event_id, 0

    async def modify() -> Key:
        answer = await command(admin, "PATCH", f"/events/{event_id}", {"vtn_comment": "moved", "modification_reason": "bench"})
        return event_id, int(answer["event"]["descriptor"]["modification_number"])

    async def cancel() -> Key:
        answer = await command(admin, "POST", f"/events/{event_id}/cancel", None)
        return event_id, int(answer["event"]["descriptor"]["modification_number"])

    for phase, trigger in zip(PHASES, (create, modify, cancel), strict=True):
        runs.append(await measure(target, phase, len(ven_ids), fleet, trigger, answers, timeout))
        await asyncio.sleep(2.0)  # let the stragglers' answers and deliveries settle before the next change
    return runs


async def command(admin: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """An admin API command, asked again with the same Idempotency-Key while the VTN answers 503 (its services
    did not answer within the reply timeout: the command may be under way, and the key gets its outcome)."""
    key = uuid.uuid4().hex
    for _ in range(30):
        answer = await admin.request(method, path, json=body, headers={"Idempotency-Key": key})
        if answer.status_code != 503:
            answer.raise_for_status()
            found: dict[str, Any] = answer.json()
            return found
        await asyncio.sleep(0.5)
    answer.raise_for_status()
    return {}


async def run_pull(address: VtnAddress, count: int, admin: httpx.AsyncClient, answers: TopicAnswers, timeout: float) -> list[EventRun]:
    vens = [PollingVen(f"pull-bench-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(count)]
    await register_all(list(vens))
    fleet, stop = Fleet(), asyncio.Event()
    pollers = [asyncio.create_task(v.run(fleet, stop, random.random())) for v in vens]
    try:
        await asyncio.sleep(WARMUP_SECONDS)
        return await phases_of(PULL_TARGET, fleet, [str(v.ven_id) for v in vens], admin, answers, timeout)
    finally:
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        for ven in vens:
            await ven.close()


async def run_push(address: VtnAddress, count: int, admin: httpx.AsyncClient, answers: TopicAnswers, timeout: float) -> list[EventRun]:
    server = PushVenServer()
    await server.start()
    fleet = Fleet()
    vens: list[SimulatedVen] = []
    answering: set[asyncio.Task[None]] = set()

    def on_push_of(ven: SimulatedVen) -> Callable[[Pushed], None]:
        def on_push(pushed: Pushed) -> None:
            fresh = fleet.saw(ven.name, [(e, m) for e, m, _ in pushed.events])
            if fresh:
                body = messages.created_event(pushed.request_id or "", str(ven.ven_id), [(e, m, "optIn") for e, m in fresh])
                task = asyncio.get_running_loop().create_task(_send_answer(ven, body, fleet))
                answering.add(task)
                task.add_done_callback(answering.discard)

        return on_push

    for i in range(count):
        name = f"push-bench-{uuid.uuid4().hex[:8]}-{i}"
        ven = SimulatedVen(name, address, 30.0, push_address=server.address_of(name))
        server.endpoint(name).on_push = on_push_of(ven)
        vens.append(ven)
    try:
        await register_all(vens)
        for ven in vens:
            server.endpoint(ven.name).ven_id = str(ven.ven_id)
        await asyncio.sleep(WARMUP_SECONDS)
        runs = await phases_of("this VTN (push)", fleet, [str(v.ven_id) for v in vens], admin, answers, timeout)
        fleet.errors += server.errors
        return runs
    finally:
        await asyncio.gather(*answering, return_exceptions=True)
        for ven in vens:
            await ven.close()
        await server.stop()


async def _send_answer(ven: SimulatedVen, body: bytes, fleet: Fleet) -> None:
    try:
        answer = await ven.send("EiEvent", body)
        if answer.status != 200:
            fleet.errors += 1
    except Exception:
        fleet.errors += 1


async def run_mixed(
    address: VtnAddress, count: int, share: float, admin: httpx.AsyncClient, answers: TopicAnswers, timeout: float
) -> list[EventRun]:
    """The pull fleet with the share `share` of it on OpenADR 2.0a."""
    a_count = round(count * share)
    polling = [PollingVen(f"mixed-bench-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(count - a_count)]
    pulling = [PullingProfileAVen(f"mixed-bench-a-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(a_count)]
    await register_all(list(polling))
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def provision(ven: PullingProfileAVen) -> None:
        async with limit:
            await command(admin, "POST", "/vens", {"profile_name": "2.0a", "ven_id": ven.ven_id})

    await asyncio.gather(*(provision(v) for v in pulling))
    fleet, stop = Fleet(), asyncio.Event()
    tasks = [asyncio.create_task(v.run(fleet, stop, random.random())) for v in [*polling, *pulling]]
    ven_ids = [str(v.ven_id) for v in polling] + [v.ven_id for v in pulling]
    try:
        await asyncio.sleep(WARMUP_SECONDS)
        return await phases_of(f"this VTN (pull, {share:.0%} on 2.0a)", fleet, ven_ids, admin, answers, timeout)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ven in [*polling, *pulling]:
            await ven.close()


async def run_vtn(
    count: int, timeout: float, log_dir: Path, models: tuple[str, ...], profile_a_share: float = 0.5
) -> list[EventRun]:
    stack = FullStack(log_dir, PUSH_NETWORKS)
    consumer = clients.consumer(
        KafkaConnection(KAFKA_BOOTSTRAP), topics.EVENT_RESPONSES, group_id=None, auto_offset_reset="latest"
    )
    answers = TopicAnswers()
    try:
        stack.start()  # inside: a stack that fails to start is stopped all the same
        await consumer.start()
        collector = asyncio.create_task(answers.collect(consumer))
        address = VtnAddress.parse(f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}")
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{ADMIN_PORT}/api/v1", headers=headers, timeout=120) as admin:
            runs = []
            if "pull" in models:
                runs += await run_pull(address, count, admin, answers, timeout)
            if "push" in models:
                runs += await run_push(address, count, admin, answers, timeout)
            if "mixed" in models:
                runs += await run_mixed(address, count, profile_a_share, admin, answers, timeout)
        collector.cancel()
        return runs
    finally:
        await consumer.stop()
        stack.stop()


# --- report -----------------------------------------------------------------------------------------------------
def table(runs: list[EventRun]) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    def ratio(value: float | None, base: float | None) -> str:
        return f"{value / base:.2f}" if value and base else "-"

    baseline = next((r for r in runs if r.target.startswith("OpenLEADR")), runs[0])
    pull = {r.phase: r for r in runs if r.target == PULL_TARGET}
    lines = [
        "| target | phase | VENs | all received (s) | all answers on the backend's side (s) | answers ÷ OpenLEADR "
        "| answers ÷ this VTN pull | received | answers | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        same_phase_pull = pull.get(run.phase) if run is not baseline else None
        lines.append(
            f"| {run.target} | {run.phase} | {run.vens} | {seconds(run.delivered_seconds)} | {seconds(run.answered_seconds)} "
            f"| {ratio(run.answered_seconds, baseline.answered_seconds)} "
            f"| {ratio(run.answered_seconds, same_phase_pull.answered_seconds if same_phase_pull else None)} "
            f"| {run.received} | {run.answered} | {run.poll_errors} |"
        )
    return "\n".join(lines)


async def main_async(
    count: int, timeout: float, models: tuple[str, ...], profile_a_share: float = 0.5
) -> list[EventRun]:
    log_dir = Path(tempfile.mkdtemp(prefix="event-bench-"))
    runs = [await run_openleadr(count, timeout, log_dir)] if "openleadr" in models else []
    runs += await run_vtn(count, timeout, log_dir, models, profile_a_share)
    return runs


def share(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("a share is above 0 and at most 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120.0, help="give up waiting after this many seconds")
    parser.add_argument("--models", default="openleadr,pull,push", help="which of openleadr, pull, push, mixed to run")
    parser.add_argument(
        "--profile-a-share", type=share, default=0.5, help="the share of the mixed fleet on OpenADR 2.0a (--models mixed)"
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    raise_open_file_limit()
    models = tuple(m.strip() for m in arguments.models.split(",") if m.strip())
    runs = asyncio.run(main_async(arguments.vens, arguments.timeout, models, arguments.profile_a_share))
    print(json.dumps([asdict(r) for r in runs]) if arguments.json else table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())


"""Event delivery benchmark: from one event created for N polling VENs until every VEN has received it and
every answer is where the backend reads it, this VTN side by side with OpenLEADR in one run.

    python -m bench.event_bench --vens 1000
    python -m bench.event_bench --vens 1000 --profile-a-share 0.5

Each simulated VEN registers, then polls once a second (random phase) on its own keep-alive connection and
answers every oadrDistributeEvent with oadrCreatedEvent optIn (the XML OpenLEADR's `create_message` renders).
After a 3 s warm-up the event is created:
- OpenLEADR (bench.openleadr_event_vtn): `add_event` for each VEN; answers counted by its callback;
- this VTN (bench.vtn_stack, the whole stack): one `create_event` command on `oadr.event.commands.v1`
  targeting every venID; answers counted on `oadr.event.responses.v1` (time: the records' Kafka timestamps).

With `--profile-a-share F` the run compares this VTN with itself instead: an all-2.0b fleet, then a fleet of
which the share F are OpenADR 2.0a VENs (provisioned through the admin API, pulling their set with
oadrRequestEvent once a second and answering with oadrCreatedEvent, bench.loadgen.profile_a_ven), the same
event for all. OpenLEADR serves no 2.0a VENs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from openleadr.messaging import create_message, parse_message

from bench.cpu import process_cpu_seconds
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import build_post
from bench.loadgen.profile_a_ven import PullingVen
from bench.loadgen.system import raise_open_file_limit
from bench.loadgen.ven import RegistrationFailed, SimulatedVen
from bench.targets import BASE_PATH, LOOPBACK, ManagedServer, Target
from bench.vtn_stack import ADMIN_PORT, KAFKA_BOOTSTRAP, full_stack_targets
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.events import CreateEvent, EventResponseFact
from shared.oadr.event import ActivePeriod
from shared.oadr.signal import EventSignal, Interval, SignalName, SignalType
from shared.oadr.target import Target as OadrTarget
from shared.settings import DEVELOPMENT_ADMIN_TOKEN

OPENLEADR_PORT = 8290
WARMUP_SECONDS = 3.0
REGISTER_CONCURRENCY = 64
REGISTER_ATTEMPTS = 5


@dataclass
class EventRun:
    target: str
    vens: int
    received: int
    answered: int
    delivered_seconds: float | None
    answered_seconds: float | None
    poll_errors: int
    stack_cpu_seconds: float | None = None  # this VTN's processes, from the event's creation to its last answer


class AnsweringVen(SimulatedVen):
    """Polls once a second and answers each oadrDistributeEvent with oadrCreatedEvent optIn."""

    received_at: float | None = None
    errors: int = 0

    async def run(self, stop: asyncio.Event, phase: float) -> None:
        address: VtnAddress = self._address  # the base class keeps the address and connection protected
        poll = build_post(address, "OadrPoll", create_message("oadrPoll", ven_id=self.ven_id).encode())
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = await self._connection.send(poll)
                if answer.status != 200:  # e.g. 503 when the VTN's services do not answer in time
                    self.errors += 1
                    await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
                    continue
                message_type, payload = parse_message(answer.body)
                if message_type == "oadrDistributeEvent" and payload.get("events"):
                    if self.received_at is None:
                        self.received_at = time.time()
                    await self._answer(address, payload)
            except Exception:
                self.errors += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    async def _answer(self, address: VtnAddress, payload: dict[str, object]) -> None:
        events = payload["events"]
        assert isinstance(events, list)
        request_id = str(payload["request_id"])
        responses = [
            {
                "response_code": 200,
                "response_description": "OK",
                "request_id": request_id,
                "opt_type": "optIn",
                "event_id": e["event_descriptor"]["event_id"],
                "modification_number": e["event_descriptor"]["modification_number"],
            }
            for e in events
        ]
        body = create_message(
            "oadrCreatedEvent",
            response={"response_code": 200, "response_description": "OK", "request_id": request_id},
            event_responses=responses,
            ven_id=self.ven_id,
        )
        await self._connection.send(build_post(address, "EiEvent", body.encode()))


class AnsweringProfileAVen(PullingVen):
    """A 2.0a VEN that pulls its set once a second and answers each event in it with oadrCreatedEvent optIn,
    once, as `AnsweringVen` does (the VTN handles an answer it took even if it answered 503); only pulls that
    fail count as errors, as only polls do for `AnsweringVen`."""

    received_at: float | None = None
    errors: int = 0

    async def run(self, stop: asyncio.Event, phase: float) -> None:
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                seen = await self.pull()
                if seen is None or seen.message_type != "oadrDistributeEvent":
                    self.errors += 1
                elif seen.events:
                    if self.received_at is None:
                        self.received_at = time.time()
                    await self.answer(seen, again_if_refused=False)
            except Exception:
                self.errors += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


BenchVen = AnsweringVen | AnsweringProfileAVen


async def register_all(url: str, count: int) -> list[AnsweringVen]:
    address = VtnAddress.parse(url)
    vens = [AnsweringVen(f"event-bench-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(count)]
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def register(ven: AnsweringVen) -> None:
        async with limit:
            for attempt in range(REGISTER_ATTEMPTS):
                try:
                    await ven.register()
                    return
                except RegistrationFailed as failed:  # a 503 on a loaded machine: a VEN registers again
                    if attempt == REGISTER_ATTEMPTS - 1 or "503" not in failed.kind:
                        raise
                    await asyncio.sleep(1.0 + attempt)

    await asyncio.gather(*(register(v) for v in vens))
    return vens


async def provision_all(url: str, admin_url: str, count: int) -> list[AnsweringProfileAVen]:
    """`count` 2.0a VENs, provisioned through the admin API (2.0a VENs do not register)."""
    address = VtnAddress.parse(url)
    vens = [AnsweringProfileAVen(f"event-bench-a-{uuid.uuid4().hex[:8]}-{i}", address, 30.0) for i in range(count)]
    limit = asyncio.Semaphore(REGISTER_CONCURRENCY)
    headers = {"Authorization": f"Bearer {DEVELOPMENT_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=admin_url, headers=headers, timeout=60) as admin:

        async def provision(ven: AnsweringProfileAVen) -> None:
            async with limit:
                for attempt in range(REGISTER_ATTEMPTS):
                    answer = await admin.post("/api/v1/vens", json={"profile_name": "2.0a", "ven_id": ven.ven_id})
                    if answer.status_code != 503 or attempt == REGISTER_ATTEMPTS - 1:
                        break
                    await asyncio.sleep(1.0 + attempt)
                answer.raise_for_status()

        await asyncio.gather(*(provision(v) for v in vens))
    return vens


async def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


Trigger = Callable[[list[str]], Awaitable[None]]
AnswerProbe = Callable[[], Awaitable[tuple[int, float]]]


async def measure(
    name: str, vens: Sequence[BenchVen], trigger: Trigger, answers: AnswerProbe, timeout: float
) -> EventRun:
    count = len(vens)
    stop = asyncio.Event()
    pollers = [asyncio.create_task(v.run(stop, random.random())) for v in vens]
    try:
        await asyncio.sleep(WARMUP_SECONDS)
        started = time.time()
        await trigger([str(v.ven_id) for v in vens])
        all_received = await wait_for(lambda: all(v.received_at is not None for v in vens), timeout)
        deadline = time.monotonic() + timeout
        answered, last_at = await answers()
        while answered < count and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            answered, last_at = await answers()
        received = [v.received_at for v in vens if v.received_at is not None]
        return EventRun(
            target=name,
            vens=count,
            received=len(received),
            answered=answered,
            delivered_seconds=max(received) - started if all_received else None,
            answered_seconds=last_at - started if answered >= count else None,
            poll_errors=sum(v.errors for v in vens),
        )
    finally:
        stop.set()
        await asyncio.gather(*pollers, return_exceptions=True)
        for ven in vens:
            await ven.close()


async def run_openleadr(count: int, timeout: float, log_dir: Path) -> EventRun:
    port = OPENLEADR_PORT
    server = ManagedServer(
        "openleadr-events", [sys.executable, "-m", "bench.openleadr_event_vtn", "--port", str(port)], port, log_dir
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}", timeout=120) as control:

            async def trigger(ven_ids: list[str]) -> None:
                (await control.post("/bench/add-event", json={"ven_ids": ven_ids})).raise_for_status()

            async def answers() -> tuple[int, float]:
                found = (await control.get("/bench/answers")).json()
                return int(found["count"]), float(found["last_at"])

            url = f"http://{LOOPBACK}:{port}{BASE_PATH}"
            return await measure("OpenLEADR", await register_all(url, count), trigger, answers, timeout)
    finally:
        server.stop()


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


async def run_vtn(
    count: int, timeout: float, log_dir: Path, kafka_bootstrap: str, profile_a_share: float = 0.0, name: str = "this VTN"
) -> EventRun:
    """This VTN's whole stack, with the share `profile_a_share` of the VENs on OpenADR 2.0a."""
    [target] = full_stack_targets(log_dir)
    assert target.start is not None and target.stop is not None
    target.start()
    event_id = f"bench-{uuid.uuid4().hex}"
    seen: dict[str, float] = {}
    kafka = KafkaConnection(kafka_bootstrap)
    consumer = clients.consumer(kafka, topics.EVENT_RESPONSES, group_id=None, auto_offset_reset="latest")
    producer = clients.producer(kafka)
    try:
        await consumer.start()
        await producer.start()

        async def collect() -> None:
            async for record in consumer:
                fact = Envelope.from_bytes(record.value).payload
                if isinstance(fact, EventResponseFact) and fact.event_id == event_id:
                    seen.setdefault(fact.ven_id, record.timestamp / 1000)

        collector = asyncio.create_task(collect())

        cpu_at_creation: list[float] = []

        async def trigger(ven_ids: list[str]) -> None:
            envelope = Envelope(ven_id=event_id, payload=vtn_event(ven_ids, event_id))
            cpu_at_creation.append(stack_cpu_seconds(target))
            await producer.send_and_wait(topics.EVENT_COMMANDS, envelope.to_bytes(), key=envelope.kafka_key())

        async def answers() -> tuple[int, float]:
            return len(seen), max(seen.values(), default=0.0)

        a_count = round(count * profile_a_share)
        vens: list[BenchVen] = [*await register_all(target.url, count - a_count)]
        vens += await provision_all(target.url, f"http://{LOOPBACK}:{ADMIN_PORT}", a_count)
        try:
            run = await measure(name, vens, trigger, answers, timeout)
        finally:
            collector.cancel()
        spent = stack_cpu_seconds(target) - cpu_at_creation[0] if cpu_at_creation else None
        return replace(run, stack_cpu_seconds=spent)
    finally:
        await producer.stop()
        await consumer.stop()
        target.stop()


def stack_cpu_seconds(target: Target) -> float:
    pids = target.pids() if target.pids is not None else []
    return sum(seconds for pid in pids if (seconds := process_cpu_seconds(pid)) is not None)


def table(runs: list[EventRun]) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    base = runs[0]
    lines = [
        f"| target | VENs | all received (s) | all answers on the backend's side (s) | ÷ {base.target} "
        "| received | answers | poll errors (incl. 503) | stack CPU, creation to last answer (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ratio = (
            f"{run.answered_seconds / base.answered_seconds:.2f}"
            if run.answered_seconds and base.answered_seconds
            else "-"
        )
        lines.append(
            f"| {run.target} | {run.vens} | {seconds(run.delivered_seconds)} | {seconds(run.answered_seconds)} | {ratio} "
            f"| {run.received} | {run.answered} | {run.poll_errors} | {seconds(run.stack_cpu_seconds)} |"
        )
    return "\n".join(lines)


def profile_a_summary(pairs: list[tuple[EventRun, EventRun]]) -> str:
    """The median, over rounds, of the mixed fleet's time to all answers and stack CPU ÷ the all-2.0b fleet's."""

    finished = [(b, m) for b, m in pairs if b.answered_seconds and m.answered_seconds]

    def median_ratio(value: Callable[[EventRun], float | None]) -> str:
        ratios = [other / base for b, m in finished if (base := value(b)) and (other := value(m)) is not None]
        return f"{statistics.median(ratios):.2f}" if ratios else "-"

    return (
        f"median over the {len(finished)} of {len(pairs)} round(s) where both fleets got every answer, mixed fleet "
        f"÷ all-2.0b fleet: time to all answers {median_ratio(lambda r: r.answered_seconds)}, "
        f"stack CPU {median_ratio(lambda r: r.stack_cpu_seconds)}"
    )


async def main_async(count: int, timeout: float, kafka_bootstrap: str) -> list[EventRun]:
    log_dir = Path(tempfile.mkdtemp(prefix="event-bench-"))
    runs = [await run_openleadr(count, timeout, log_dir)]
    runs.append(await run_vtn(count, timeout, log_dir, kafka_bootstrap))
    return runs


async def compare_profile_a(
    count: int, timeout: float, kafka_bootstrap: str, share: float, rounds: int
) -> list[tuple[EventRun, EventRun]]:
    """(all-2.0b run, mixed run) per round, their order alternating from round to round."""
    log_dir = Path(tempfile.mkdtemp(prefix="event-bench-"))
    pairs = []
    for index in range(rounds):
        suffix = f", round {index + 1}" if rounds > 1 else ""
        fleets = [(0.0, f"this VTN, all 2.0b{suffix}"), (share, f"this VTN, {share:.0%} on 2.0a{suffix}")]
        done = {}
        for fleet_share, name in fleets if index % 2 == 0 else fleets[::-1]:
            done[fleet_share] = await run_vtn(count, timeout, log_dir, kafka_bootstrap, fleet_share, name)
            print(table([done[fleet_share]]).splitlines()[-1], file=sys.stderr, flush=True)  # as it comes
        pairs.append((done[0.0], done[share]))
    return pairs


def share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--vens", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=120.0, help="give up waiting after this many seconds")
    parser.add_argument(
        "--profile-a-share", type=share, default=0.0,
        help="compare an all-2.0b fleet with one of which this share are 2.0a VENs (this VTN only)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --profile-a-share: rounds, alternating the order")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    raise_open_file_limit()
    if arguments.profile_a_share > 0:
        pairs = asyncio.run(
            compare_profile_a(arguments.vens, arguments.timeout, KAFKA_BOOTSTRAP, arguments.profile_a_share, arguments.rounds)
        )
        if arguments.json:
            print(json.dumps([[r.__dict__ for r in pair] for pair in pairs]))
        else:
            print("\n\n".join([*(table(list(pair)) for pair in pairs), profile_a_summary(pairs)]))
        return 0
    runs = asyncio.run(main_async(arguments.vens, arguments.timeout, KAFKA_BOOTSTRAP))
    print(json.dumps([r.__dict__ for r in runs]) if arguments.json else table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

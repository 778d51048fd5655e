"""Simulated VENs for the fault suite, all in one asyncio loop, each behaving like a plain OpenADR 2.0b VEN:
register, register its reports and create the VTN's report requests, poll, answer every new event
(modification) with oadrCreatedEvent, and send one telemetry interval per report request with every
oadrUpdateReport. What a VEN sent but did not get a success for, it sends again on its next turn (a VEN
retrying), with the same content.

Every request's outcome is written down (`Outcome`), and every record the VTN acknowledged with success
goes in the `Ledger`, labelled with the phase it was acknowledged in: that is what must never be lost.
Messages are made by OpenLEADR's `create_message` and answers read by its `parse_message`.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx
from openleadr import enums, objects
from openleadr.messaging import create_message, parse_message

REPORT_R_ID = "voltage"
SAMPLING = objects.SamplingRate(min_period=timedelta(minutes=1), max_period=timedelta(minutes=15), on_change=False)
# Telemetry intervals start here, one minute apart per VEN and request: a dtstart is never sent for two records
INTERVAL_BASE = datetime(2026, 1, 1, tzinfo=UTC)


class Result(Enum):
    OK = "ok"  # HTTP 200 and OpenADR 200 (or the message asked for)
    UNAVAILABLE = "unavailable"  # HTTP 503 with an oadrResponse (or OpenADR 503): retry later
    NO_ANSWER = "no_answer"  # connection refused or reset, or no answer in time: the VEN retries
    OTHER = "other"  # anything else: a wrong refusal


@dataclass(frozen=True)
class Outcome:
    at: float  # time.monotonic() when the request was sent
    message_type: str
    result: Result
    detail: str


EventAnswer = tuple[str, str, int, str]  # venID, eventID, modificationNumber, optType
ReportInterval = tuple[str, str, str, datetime]  # venID, reportRequestID, rID, dtstart


@dataclass
class Ledger:
    """What the VTN acknowledged, by phase; and every request's outcome."""

    phase: str = "setup"
    event_answers: dict[EventAnswer, str] = field(default_factory=dict)
    report_intervals: dict[ReportInterval, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)

    def answers_in(self, phase: str) -> set[EventAnswer]:
        return {key for key, label in self.event_answers.items() if label == phase}

    def intervals_in(self, phase: str) -> set[ReportInterval]:
        return {key for key, label in self.report_intervals.items() if label == phase}

    def outcomes_between(self, start: float, end: float) -> list[Outcome]:
        return [o for o in self.outcomes if start <= o.at <= end]


def new_request_id() -> str:
    return uuid.uuid4().hex


def _metadata() -> list[objects.Report]:
    description = objects.ReportDescription(
        r_id=REPORT_R_ID, market_context=None, reading_type="Direct Read",
        report_subject=objects.Target(resource_id="meter"), report_data_source=objects.Target(resource_id="meter"),
        report_type="reading", sampling_rate=SAMPLING, measurement=enums.MEASUREMENTS.VOLTAGE,
    )  # fmt: skip
    return [
        objects.Report(
            report_specifier_id="telemetry", report_name="METADATA_TELEMETRY_USAGE", report_request_id="0",
            duration=timedelta(hours=1), report_descriptions=[description],
        )
    ]  # fmt: skip


class SimulatedVen:
    def __init__(self, http: httpx.AsyncClient, name: str, ledger: Ledger, rng: random.Random) -> None:
        self.http = http
        self.name = name
        self.ledger = ledger
        self.rng = rng
        self.ven_id = ""
        self.opt_type = "optIn" if rng.random() < 0.5 else "optOut"
        self.seen_events: dict[str, int] = {}  # eventID -> latest modification received
        self.answered: set[tuple[str, int]] = set()  # (eventID, modification) acknowledged by the VTN
        self.report_requests: list[str] = []
        self.unsent_intervals: list[tuple[str, datetime, float]] = []  # sent without success: sent again
        self._next_interval: dict[str, int] = {}

    async def exchange(self, service: str, message_type: str, **fields: Any) -> tuple[Result, str, dict[str, Any]]:
        sent = time.monotonic()
        try:
            answer = await self.http.post(f"/{service}", content=create_message(message_type, **fields).encode())
        except httpx.TransportError as error:
            self.ledger.outcomes.append(Outcome(sent, message_type, Result.NO_ANSWER, type(error).__name__))
            return Result.NO_ANSWER, "", {}
        try:
            kind, payload = parse_message(answer.content)
        except Exception as error:  # an answer that is not OpenADR at all
            self.ledger.outcomes.append(
                Outcome(sent, message_type, Result.OTHER, f"HTTP {answer.status_code}: {error}")
            )
            return Result.OTHER, "", {}
        code = int((payload.get("response") or {}).get("response_code", 200))
        if answer.status_code == 200 and code == 200:
            result = Result.OK
        elif answer.status_code == 503 or code == 503:
            result = Result.UNAVAILABLE
        else:
            result = Result.OTHER
        self.ledger.outcomes.append(Outcome(sent, message_type, result, f"HTTP {answer.status_code}, {kind} {code}"))
        return result, kind, payload

    async def exchange_until_ok(self, service: str, message_type: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        for _ in range(60):
            result, kind, payload = await self.exchange(service, message_type, **fields)
            if result is Result.OK:
                return kind, payload
            await asyncio.sleep(0.5)
        raise AssertionError(f"{self.name}: {message_type} never succeeded")

    async def register(self) -> None:
        await self.exchange_until_ok("EiRegisterParty", "oadrQueryRegistration", request_id=new_request_id())
        _, created = await self.exchange_until_ok(
            "EiRegisterParty", "oadrCreatePartyRegistration", request_id=new_request_id(), ven_name=self.name,
            profile_name="2.0b", transport_name="simpleHttp", transport_address=None, report_only=False,
            xml_signature=False, http_pull_model=True,
        )  # fmt: skip
        self.ven_id = created["ven_id"]
        _, registered = await self.exchange_until_ok(
            "EiReport", "oadrRegisterReport", request_id=new_request_id(), ven_id=self.ven_id, reports=_metadata(),
            report_request_id="0",
        )  # fmt: skip
        await self._create_reports(registered)

    async def _create_reports(self, payload: dict[str, Any]) -> None:
        new = [
            r["report_request_id"]
            for r in payload.get("report_requests") or []
            if r["report_request_id"] not in self.report_requests
        ]
        if not new:
            return
        request_id = payload.get("request_id") or (payload.get("response") or {}).get("request_id") or new_request_id()
        await self.exchange_until_ok(
            "EiReport", "oadrCreatedReport", ven_id=self.ven_id,
            response={"response_code": 200, "response_description": "OK", "request_id": request_id},
            pending_reports=[{"report_request_id": r} for r in new],
        )  # fmt: skip
        self.report_requests.extend(new)

    async def poll(self) -> None:
        result, kind, payload = await self.exchange("OadrPoll", "oadrPoll", ven_id=self.ven_id)
        if result is not Result.OK:
            return
        if kind == "oadrDistributeEvent":
            for event in payload.get("events") or []:
                descriptor = event["event_descriptor"]
                event_id, modification = descriptor["event_id"], int(descriptor["modification_number"])
                if modification >= self.seen_events.get(event_id, -1):
                    self.seen_events[event_id] = modification
        elif kind == "oadrCreateReport":
            await self._create_reports(payload)

    def unanswered(self) -> list[tuple[str, int]]:
        return [(e, m) for e, m in self.seen_events.items() if (e, m) not in self.answered]

    async def answer_events(self) -> None:
        todo = self.unanswered()
        if not todo:
            return
        request_id = new_request_id()
        result, _, _ = await self.exchange(
            "EiEvent", "oadrCreatedEvent", ven_id=self.ven_id,
            response={"response_code": 200, "response_description": "OK", "request_id": request_id},
            event_responses=[
                {"response_code": 200, "response_description": "OK", "request_id": request_id, "event_id": e,
                 "modification_number": m, "opt_type": self.opt_type}
                for e, m in todo
            ],
        )  # fmt: skip
        if result is Result.OK:
            for event_id, modification in todo:
                self.answered.add((event_id, modification))
                self.ledger.event_answers.setdefault(
                    (self.ven_id, event_id, modification, self.opt_type), self.ledger.phase
                )

    async def report(self) -> None:
        for report_request_id in self.report_requests:
            k = self._next_interval.get(report_request_id, 0)
            self._next_interval[report_request_id] = k + 1
            value = round(220 + 20 * self.rng.random(), 3)
            self.unsent_intervals.append((report_request_id, INTERVAL_BASE + timedelta(minutes=k), value))
        batch = self.unsent_intervals[:]
        if not batch:
            return
        reports = [
            objects.Report(
                report_specifier_id="telemetry",
                report_name="TELEMETRY_USAGE",
                report_request_id=report_request_id,
                intervals=[
                    objects.ReportInterval(
                        dtstart=dtstart,
                        duration=timedelta(minutes=1),
                        report_payload=objects.ReportPayload(r_id=REPORT_R_ID, value=value),
                    )
                    for rrid, dtstart, value in batch
                    if rrid == report_request_id
                ],
            )  # fmt: skip
            for report_request_id in dict.fromkeys(rrid for rrid, _, _ in batch)
        ]
        result, _, _ = await self.exchange(
            "EiReport", "oadrUpdateReport", request_id=new_request_id(), ven_id=self.ven_id, reports=reports
        )
        if result is Result.OK:
            for report_request_id, dtstart, _ in batch:
                key = (self.ven_id, report_request_id, REPORT_R_ID, dtstart)
                self.ledger.report_intervals.setdefault(key, self.ledger.phase)
            self.unsent_intervals = self.unsent_intervals[len(batch) :]

    async def live(self, stopping: asyncio.Event, poll_every: float, report_every: float) -> None:
        """Poll, answer and report until told to stop, as a VEN does."""
        await asyncio.sleep(self.rng.random() * poll_every)
        next_report = time.monotonic() + self.rng.random() * report_every
        while not stopping.is_set():
            await self.poll()
            await self.answer_events()
            if time.monotonic() >= next_report:
                next_report += report_every
                await self.report()
            try:
                # a wide jitter keeps VENs out of step after a fault made them all retry at once
                await asyncio.wait_for(stopping.wait(), poll_every * (0.5 + self.rng.random()))
            except TimeoutError:
                pass


class Fleet:
    def __init__(self, url: str, size: int, seed: int = 7) -> None:
        self._http = httpx.AsyncClient(
            base_url=url, timeout=httpx.Timeout(15.0), limits=httpx.Limits(max_connections=size + 10)
        )
        self.ledger = Ledger()
        rng = random.Random(seed)
        stamp = f"{time.time_ns():x}"
        self.vens = [
            SimulatedVen(self._http, f"fault-ven-{stamp}-{i}", self.ledger, random.Random(rng.random()))
            for i in range(size)
        ]
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def __iter__(self) -> Iterator[SimulatedVen]:
        return iter(self.vens)

    @property
    def ven_ids(self) -> list[str]:
        return [ven.ven_id for ven in self.workers]

    async def register(self, concurrency: int = 8) -> None:
        limit = asyncio.Semaphore(concurrency)

        async def one(ven: SimulatedVen) -> None:
            async with limit:
                await ven.register()

        await asyncio.gather(*(one(ven) for ven in self.vens))

    def start(self, poll_every: float, report_every: float) -> None:
        self._tasks = [
            asyncio.create_task(ven.live(self._stopping, poll_every, report_every), name=ven.name)
            for ven in self.workers
        ]

    def failures(self) -> list[BaseException]:
        return [t.exception() for t in self._tasks if t.done() and not t.cancelled() and t.exception() is not None]  # type: ignore[misc]

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    @property
    def workers(self) -> list[SimulatedVen]:
        """The VENs that get events; the last VEN is the probe, which checks that the VTN serves again."""
        return self.vens[:-1]

    @property
    def probe(self) -> SimulatedVen:
        return self.vens[-1]

    def missing(self, event_ids: list[str]) -> list[tuple[str, str]]:
        """(venID, eventID) of the events some worker has not had an answer acknowledged for."""
        return [(ven.ven_id, e) for ven in self.workers for e in event_ids if not any(a == e for a, _ in ven.answered)]

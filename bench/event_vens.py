"""Simulated VENs for the event benchmark: each polls on its own keep-alive connection, keeps the events of
every oadrDistributeEvent it gets, and answers each event version it has not answered yet, of the events
that require an answer (oadrResponseRequired always), with oadrCreatedEvent optIn, as OpenLEADR's VEN
client does. Like that client, a polling VEN answers the VTN's oadrRegisterReport with an empty
oadrRegisteredReport (a VEN that never did would have the VTN send its reports again during the run).

The generator must stay cheap at 10,000 VENs: an oadrDistributeEvent is read with anchored regular
expressions (eventID, modificationNumber, eventStatus and oadrResponseRequired of each event; the requestID), and the answer is made
from OpenLEADR's own `create_message` rendering, cut once into a head, one eventResponse and a tail
(`AnswerTemplate`, pinned to `create_message` by tests/bench/test_event_vens.py).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from openleadr.messaging import create_message

from bench.loadgen import messages, profile_a_messages
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import build_post, build_post_to, error_kind
from bench.loadgen.push_server import Pushed
from bench.loadgen.ven import SimulatedVen

_NAME = rb"(?:[\w.-]+:)?"
_DISTRIBUTE = re.compile(rb"<" + _NAME + rb"oadrDistributeEvent[\s>]")
_EI_RESPONSE = re.compile(rb"<" + _NAME + rb"eiResponse[\s>].*?</" + _NAME + rb"eiResponse>", re.S)
_REQUEST_ID = re.compile(rb"<" + _NAME + rb"requestID(?:\s[^>]*)?>([^<]*)<")
_EVENT = re.compile(rb"<" + _NAME + rb"oadrEvent>(.*?)</" + _NAME + rb"oadrEvent>", re.S)
_VERSION = re.compile(
    rb"<" + _NAME + rb"eventID>([^<]*)</" + _NAME + rb"eventID>\s*"
    rb"<" + _NAME + rb"modificationNumber>(\d+)</" + _NAME + rb"modificationNumber>"
    rb".*?<" + _NAME + rb"eventStatus>([^<]*)</",
    re.S,
)
_REGISTER_REPORT = re.compile(rb"<" + _NAME + rb"oadrRegisterReport[\s>]")
_RESPONSE_REQUIRED = re.compile(rb"<" + _NAME + rb"oadrResponseRequired>\s*([^<\s]*)\s*<")
_MARK = "\ue000"


@dataclass(frozen=True)
class HeldEvent:
    modification_number: int
    status: str
    answer_required: bool = True  # oadrResponseRequired "always"


def read_distribute(body: bytes) -> tuple[str, dict[str, HeldEvent]] | None:
    """(requestID, eventID -> its version and status) of an oadrDistributeEvent; None for any other answer."""
    if _DISTRIBUTE.search(body) is None:
        return None
    without_response = _EI_RESPONSE.sub(b"", body, count=1)
    request = _REQUEST_ID.search(without_response)
    events = {}
    for event in _EVENT.finditer(without_response):
        version = _VERSION.search(event.group(1))
        if version is None:
            continue
        required = _RESPONSE_REQUIRED.search(event.group(1))
        answer_required = required is None or required.group(1) == b"always"
        events[version.group(1).decode()] = HeldEvent(int(version.group(2)), version.group(3).decode(), answer_required)
    return (request.group(1).decode() if request else ""), events


@dataclass(frozen=True)
class AnswerTemplate:
    """OpenLEADR's oadrCreatedEvent for one VEN, cut where the per-answer values go."""

    head: str
    response: str
    tail: str

    @classmethod
    def for_ven(cls, ven_id: str) -> AnswerTemplate:
        one = {"response_code": 200, "response_description": "OK", "request_id": f"{_MARK}r", "opt_type": "optIn"}
        rendered = create_message(
            "oadrCreatedEvent",
            response={"response_code": 200, "response_description": "OK", "request_id": f"{_MARK}r"},
            event_responses=[{**one, "event_id": f"{_MARK}e", "modification_number": 7654321}],
            ven_id=ven_id,
        )
        start = rendered.index("<ei:eventResponse>")
        end = rendered.index("</ei:eventResponse>") + len("</ei:eventResponse>")
        return cls(rendered[:start], rendered[start:end], rendered[end:])

    def render(self, request_id: str, versions: list[tuple[str, int]]) -> bytes:
        """The answer, optIn, to the events `versions` ((eventID, modificationNumber)) of distribute `request_id`."""
        request = escape(request_id)
        responses = "".join(
            self.response.replace(f"{_MARK}e", escape(event_id)).replace("7654321", str(modification))
            for event_id, modification in versions
        )
        return (self.head + responses + self.tail).replace(f"{_MARK}r", request).encode()


Expectation = Callable[[dict[str, HeldEvent]], bool]


@dataclass
class Tracking:
    """What a benchmark phase waits for in one VEN: when its events first met the expectation."""

    expectation: Expectation | None = None
    met_at: float | None = None
    answered_versions: set[tuple[str, int]] = field(default_factory=set)


class EventVen(SimulatedVen):
    """Polls every `poll_seconds` from a random phase and answers every event version once, with optIn."""

    def __init__(self, name: str, address: VtnAddress, request_timeout: float, push_address: str | None = None) -> None:
        super().__init__(name, address, request_timeout, push_address=push_address)
        self.events: dict[str, HeldEvent] = {}
        self.tracking = Tracking()
        self.polls = 0  # answered 200
        self.poll_errors: dict[str, int] = {}
        self.answer_errors = 0
        self._template: AnswerTemplate | None = None
        self._answering: set[asyncio.Task[None]] = set()

    def expect(self, expectation: Expectation) -> None:
        """Start a phase: note when the VEN's events first satisfy `expectation`."""
        self.tracking = Tracking(expectation, None, self.tracking.answered_versions)
        self._check()

    def _check(self) -> None:
        tracking = self.tracking
        if tracking.met_at is None and tracking.expectation is not None and tracking.expectation(self.events):
            tracking.met_at = time.time()

    async def run(self, stop: asyncio.Event, phase: float, poll_seconds: float) -> None:
        assert self.ven_id is not None
        address: VtnAddress = self._address
        poll = build_post(address, "OadrPoll", create_message("oadrPoll", ven_id=self.ven_id).encode())
        self._template = AnswerTemplate.for_ven(self.ven_id)
        if self.push_address is not None:  # a push VEN does not poll: its sets come through take_push
            await stop.wait()
            await asyncio.gather(*self._answering, return_exceptions=True)
            return
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = await self._connection.send(poll)
                if answer.status != 200:  # e.g. 503 when the VTN's services do not answer in time
                    self._count(f"http_{answer.status}")
                else:
                    self.polls += 1
                    await self._take_polled(address, answer.body)
            except Exception as error:
                self._count(error_kind(error))
            await asyncio.sleep(max(0.0, poll_seconds - (time.monotonic() - started)))

    async def _take_polled(self, address: VtnAddress, body: bytes) -> None:
        if _REGISTER_REPORT.search(body) is None:
            await self._take(address, body)
            return
        assert self.ven_id is not None
        request = _REQUEST_ID.search(body)
        answer = messages.registered_report(request.group(1).decode() if request else "", self.ven_id)
        if (await self._connection.send(build_post(address, "EiReport", answer))).status != 200:
            self.answer_errors += 1

    def take_push(self, pushed: Pushed) -> None:
        """A set pushed to the VEN's endpoint (answered there as the spec says): kept, then answered with
        oadrCreatedEvent on the VEN's own connection, as a polled set is."""
        task = asyncio.get_running_loop().create_task(self._take_pushed(pushed.body))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _take_pushed(self, body: bytes) -> None:
        try:
            await self._take(self._address, body)
        except Exception:
            self.answer_errors += 1

    def _count(self, kind: str) -> None:
        self.poll_errors[kind] = self.poll_errors.get(kind, 0) + 1

    def keep(self, body: bytes) -> tuple[str, list[tuple[str, int]]] | None:
        """Keep the events of an oadrDistributeEvent (None for any other document): its requestID and the
        versions ((eventID, modificationNumber)) still to answer."""
        distributed = read_distribute(body)
        if distributed is None:
            return None
        request_id, events = distributed
        self.events = events
        self._check()
        versions = [
            (event_id, held.modification_number)
            for event_id, held in events.items()
            if held.answer_required and (event_id, held.modification_number) not in self.tracking.answered_versions
        ]
        return request_id, versions

    async def _take(self, address: VtnAddress, body: bytes) -> None:
        kept = self.keep(body)
        if kept is None:
            return
        request_id, versions = kept
        request = self._answer_request(address, request_id, versions) if versions else None
        if request is None:
            return
        answer = await self._connection.send(request)
        if answer.status == 200:
            self.tracking.answered_versions.update(versions)
        else:
            self.answer_errors += 1

    def _answer_request(self, address: VtnAddress, request_id: str, versions: list[tuple[str, int]]) -> bytes | None:
        """The POST answering `versions` of distribute `request_id`, optIn (None: the VEN cannot answer yet)."""
        if self._template is None:
            return None
        return build_post(address, "EiEvent", self._template.render(request_id, versions))


class ProfileAEventVen(EventVen):
    """An OpenADR 2.0a VEN: provisioned by the operator under its venID (2.0a has no registration), it pulls
    its set with oadrRequestEvent every `poll_seconds` (2.0a has no oadrPoll) and answers every event version
    once, optIn, with a 2.0a oadrCreatedEvent (bench.loadgen.profile_a_messages), all at /OpenADR2/Simple/EiEvent.
    A 2.0a set reads as a 2.0b one (`read_distribute`)."""

    def __init__(self, name: str, address: VtnAddress, request_timeout: float) -> None:
        super().__init__(name, address, request_timeout)
        self.ven_id = name

    async def register(self) -> None:  # the operator provisions it
        return None

    async def run(self, stop: asyncio.Event, phase: float, poll_seconds: float) -> None:
        address: VtnAddress = self._address
        await asyncio.sleep(phase)
        while not stop.is_set():
            started = time.monotonic()
            try:
                pull = profile_a_messages.request_event(self.name, uuid.uuid4().hex)
                answer = await self._connection.send(build_post_to(address, profile_a_messages.EI_EVENT_PATH, pull))
                if answer.status != 200:
                    self._count(f"http_{answer.status}")
                else:
                    self.polls += 1
                    await self._take(address, answer.body)
            except Exception as error:
                self._count(error_kind(error))
            await asyncio.sleep(max(0.0, poll_seconds - (time.monotonic() - started)))

    def _answer_request(self, address: VtnAddress, request_id: str, versions: list[tuple[str, int]]) -> bytes | None:
        answers = [profile_a_messages.EventAnswer(e, m, "optIn", request_id) for e, m in versions]
        body = profile_a_messages.created_event(self.name, request_id, answers)
        return build_post_to(address, profile_a_messages.EI_EVENT_PATH, body)

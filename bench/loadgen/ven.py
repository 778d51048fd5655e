"""One simulated VEN: registers like a pull-model simple-HTTP VEN, then polls on its own keep-alive connection."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bench.loadgen import answers, messages
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import HttpResponse, KeepAliveConnection, build_post, error_kind
from bench.loadgen.credentials import VenCredentials
from bench.loadgen.stats import RunStats

_REGISTER_SERVICE = "EiRegisterParty"
_POLL_SERVICE = "OadrPoll"
# After a transport failure a VEN waits a little before trying again, so that a dead server does not turn
# the generator into a busy loop of refused connections.
_PAUSE_AFTER_FAILURE = 0.05
_SIGNATURE_VALUE = b"SignatureValue>"


class RegistrationFailed(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Window:
    """Polls start at `start`, are counted from `measure_from`, and none starts after `end`.

    Times are `time.monotonic()`, not `loop.time()`: uvloop's clock only has millisecond resolution.
    """

    start: float
    measure_from: float
    end: float


def poll_outcome(response: HttpResponse, *, signed: bool = False) -> tuple[str | None, str | None]:
    """(OpenADR message type if any, error kind if the answer is not a good poll answer).

    With `signed`, an answer without an XML signature is an error too (the simulated VEN checks that one is
    there, not the signature itself: OpenLEADR's verifier does that in `tests/bench/test_signing.py`)."""
    if response.status != 200:
        return None, f"http_{response.status}"
    if not response.body:
        return None, "empty_body"
    answer = answers.classify(response.body)
    if answer.message_type is None:
        return None, "not_openadr"
    if answer.message_type == "oadrResponse" and answer.response_code != "200":
        return answer.message_type, f"oadr_response_{answer.response_code}"
    if signed and _SIGNATURE_VALUE not in response.body:
        return answer.message_type, "unsigned_answer"
    return answer.message_type, None


class SimulatedVen:
    def __init__(
        self,
        name: str,
        address: VtnAddress,
        request_timeout: float,
        credentials: VenCredentials | None = None,
        push_address: str | None = None,
    ) -> None:
        self.name = name
        self._address = address
        self.push_address = push_address  # registers in the push model, giving this oadrTransportAddress
        self._sending = asyncio.Lock()  # one request at a time on the VEN's connection
        self._connection = KeepAliveConnection(
            address.host, address.port, request_timeout, credentials.ssl_context if credentials else None
        )
        self._signer = credentials.signer if credentials else None
        self.ven_id: str | None = None
        self._poll_request = b""
        self._poll_body = b""

    @property
    def signs(self) -> bool:
        return self._signer is not None

    def _poll(self) -> bytes:
        """The poll request; a signed one is signed now, with a fresh nonce and timestamp."""
        if self._signer is None:
            return self._poll_request
        return build_post(self._address, _POLL_SERVICE, self._signer.sign(self._poll_body))

    @property
    def connections_opened(self) -> int:
        return self._connection.opened

    @property
    def stale_retries(self) -> int:
        return self._connection.stale_retries

    async def register(self) -> None:
        """oadrQueryRegistration then oadrCreatePartyRegistration; keeps the venID the VTN grants."""
        await self._register_step(
            "query", messages.query_registration(str(uuid.uuid4())), expect="oadrCreatedPartyRegistration"
        )
        created = await self._register_step(
            "create",
            messages.create_party_registration(
                str(uuid.uuid4()),
                self.name,
                xml_signature=self.signs,
                transport_address=self.push_address or "",
                http_pull_model=self.push_address is None,
            ),
            expect="oadrCreatedPartyRegistration",
        )
        ven_id = answers.granted_ven_id(created.body)
        if ven_id is None:
            raise RegistrationFailed("create:no_ven_id")
        self.ven_id = ven_id
        self._poll_body = messages.poll(ven_id)
        self._poll_request = build_post(self._address, _POLL_SERVICE, self._poll_body)

    async def _register_step(self, step: str, body: bytes, *, expect: str) -> HttpResponse:
        if self._signer is not None:
            body = self._signer.sign(body)
        try:
            response = await self._connection.send(build_post(self._address, _REGISTER_SERVICE, body))
        except Exception as error:
            raise RegistrationFailed(f"{step}:{error_kind(error)}") from error
        message_type, problem = poll_outcome(response, signed=self.signs)
        if problem is not None:
            raise RegistrationFailed(f"{step}:{problem}")
        if message_type != expect:
            raise RegistrationFailed(f"{step}:unexpected_{message_type}")
        answer = answers.classify(response.body)
        if answer.response_code != "200":
            raise RegistrationFailed(f"{step}:oadr_response_{answer.response_code}")
        return response

    async def poll_closed_loop(self, window: Window, stats: RunStats) -> None:
        """Poll again as soon as each answer arrives; count answers that complete inside the window."""
        clock = time.monotonic
        await _sleep_until(window.start, clock)
        while clock() < window.end:
            request = self._poll()  # signing is the VEN's work, not the VTN's: outside the latency
            sent = clock()
            try:
                response = await self._connection.send(request)
            except Exception as error:
                if window.measure_from <= clock() <= window.end:
                    stats.errors[error_kind(error)] += 1
                await asyncio.sleep(_PAUSE_AFTER_FAILURE)
                continue
            answered = clock()
            if window.measure_from <= answered <= window.end:
                _record(stats, response, answered - sent, self.signs)

    async def poll_open_loop(self, window: Window, rate: float, phase: float, stats: RunStats) -> None:
        """Poll on the schedule start + phase + k/rate; latency counts from the scheduled time, so a slow
        answer that delays the next poll shows up in that poll's latency (no coordinated omission)."""
        clock = time.monotonic
        period = 1.0 / rate
        sequence = 0
        while True:
            scheduled = window.start + phase + sequence * period
            if scheduled >= window.end:
                return
            if clock() >= window.end:
                # Polls scheduled in the window but never sent because the VTN was too slow to answer.
                stats.errors["unsent_backlog"] += _polls_left(window, phase, period, sequence)
                return
            sequence += 1
            await _sleep_until(scheduled, clock)
            measured = scheduled >= window.measure_from
            if measured:
                stats.send_lag.record(clock() - scheduled)
            try:
                response = await self._connection.send(self._poll())
            except Exception as error:
                if measured:
                    stats.errors[error_kind(error)] += 1
                continue
            if measured:
                _record(stats, response, clock() - scheduled, self.signs)

    async def send(self, service: str, body: bytes) -> HttpResponse:
        """One request of the VEN's own to the VTN (e.g. its oadrCreatedEvent), signed when the VEN signs."""
        if self._signer is not None:
            body = self._signer.sign(body)
        async with self._sending:
            return await self._connection.send(build_post(self._address, service, body))

    async def close(self) -> None:
        await self._connection.aclose()


def _record(stats: RunStats, response: HttpResponse, latency: float, signed: bool) -> None:
    message_type, error = poll_outcome(response, signed=signed)
    if message_type is not None:
        stats.message_types[message_type] += 1
    if error is not None:
        stats.errors[error] += 1
    else:
        stats.polls_ok += 1
        stats.latency.record(latency)


def _polls_left(window: Window, phase: float, period: float, next_sequence: int) -> int:
    scheduled_in_window = math.ceil((window.end - window.start - phase) / period)
    return max(0, scheduled_in_window - next_sequence)


async def _sleep_until(moment: float, clock: Callable[[], float]) -> None:
    delay = moment - clock()
    if delay > 0:
        await asyncio.sleep(delay)

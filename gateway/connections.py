"""The VEN door's connections: TLS with a handshake timeout, timeouts for a request's head and body and for an
idle keep-alive, and caps per client and in all, so that no client holds connections it does not use.

uvicorn's httptools protocol serves HTTP; `GuardedHttpProtocol` extends it over the connection's whole life:

    TCP accepted      ledger.admit: over the global cap or its address's cap -> closed at once (refused)
    TLS handshake     started here with loop.start_tls, closed after the handshake timeout; then the client
                      certificate's fingerprint -> ledger.identify: over that certificate's cap -> closed
    request head      must arrive whole within the header timeout, counted from the end of the handshake for
                      a connection's first request and from its first byte for a later one (slow loris)
    request body      must arrive whole within the body timeout after the head
    answer            no timer here: the gateway's reply timeout bounds it
    keep-alive        closed after VTN_HTTP_KEEPALIVE_SECONDS without a byte (uvicorn's timer, counted here)

Deadlines are absolute: bytes trickling in never extend them. uvicorn itself gets no TLS context: the
protocol starts TLS on the accepted TCP connection, so that it can count and refuse a connection before its
handshake and time the handshake out. The takeover (`loop.start_tls` up to its first suspension) runs inside
`connection_made`: uvloop starts reading as soon as that returns, and the ClientHello must reach TLS. Every refusal and timeout is counted in the ledger (the metrics
`vtn_gateway_connections_refused_total{reason}` and `..._timed_out_total{phase}`) and logged through the
gateway's throttled refusal log; an idle keep-alive that ends is counted but not logged (it is normal).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import ssl
import types
from collections.abc import Awaitable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.connection_ledger import TLS_HANDSHAKE_FAILED, ConnectionLedger, Seat
from gateway.security.tls import tls_extension
from shared.fingerprints import fingerprint_of_der
from shared.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

TLS_HANDSHAKE = "tls_handshake"
REQUEST_HEADERS = "request_headers"
REQUEST_BODY = "request_body"
KEEPALIVE_IDLE = "keepalive_idle"
_ANSWERING = "answering"  # a whole request is in: the app is answering, no timer
_IDLE = "idle"  # between requests: uvicorn's keep-alive timer runs

CONNECTION_REFUSED = "connection_refused"
CONNECTION_TIMED_OUT = "connection_timed_out"
# Descriptors kept for everything but VEN connections: Kafka, PostgreSQL, the admin door, logs, certificates.
RESERVED_DESCRIPTORS = 512
_HANDSHAKE_BACKSTOP_SECONDS = 5.0  # the loop's own handshake timeout, should this protocol's timer not fire

T = TypeVar("T")


@dataclass(frozen=True)
class ConnectionTimeouts:
    tls_handshake: float
    request_headers: float
    request_body: float


@dataclass(frozen=True)
class DoorGuard:
    """What every connection of one door shares: the ledger, the timeouts, TLS (None: plain HTTP), the log."""

    ledger: ConnectionLedger
    timeouts: ConnectionTimeouts
    tls: ssl.SSLContext | None
    refusals: ThrottledLog


def guarded_protocol(guard: DoorGuard) -> type[GuardedHttpProtocol]:
    """The protocol class to give uvicorn (`http=`) for a door guarded by `guard`."""

    class DoorProtocol(GuardedHttpProtocol):
        _guard = guard

    return DoorProtocol


def max_connections_within_descriptor_limit(requested: int) -> int:
    """`requested`, lowered to what the process's file-descriptor limit allows after raising it to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = requested + RESERVED_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return requested
    allowed = max(1, soft - RESERVED_DESCRIPTORS)
    log.warning(
        "fewer VEN connections than configured: the file-descriptor limit is lower",
        extra={"action": "connection_cap_lowered", "configured": requested, "allowed": allowed, "nofile": soft},
    )
    return allowed


@types.coroutine
def _rest_of(coroutine: Coroutine[Any, Any, T], suspended_on: Any) -> Generator[Any, Any, T]:
    """Continues, inside a task, a coroutine whose first step has already run and suspended on `suspended_on`."""
    awaited = suspended_on
    while True:
        try:
            sent = yield awaited
        except BaseException as exc:  # thrown in by the task: cancellation
            try:
                awaited = coroutine.throw(exc)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        else:
            try:
                awaited = coroutine.send(sent)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol behind the door's guard (see the module docstring)."""

    _guard: ClassVar[DoorGuard]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seat: Seat | None = None
        self._address: str | None = None
        self._raw: asyncio.Transport | None = None
        self._serving = False  # uvicorn's connection_made has run, on the TLS transport when there is TLS
        self._closed = False  # released: nothing held any more
        self._ended_by_guard = False  # refused or timed out here (already counted)
        self._early: list[bytes] = []  # decrypted bytes that came before the handshake's end was seen
        self._phase = TLS_HANDSHAKE
        self._deadline: asyncio.TimerHandle | None = None
        self._phase_seconds = 0.0  # how long the current phase may last, from when it began
        self._tls: dict[str, Any] | None = None
        self._handshake: asyncio.Task[None] | None = None

    # The connection's life

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._raw = transport
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if isinstance(peer, (tuple, list)) and peer else None
        admitted = self._guard.ledger.admit(self._address)
        if isinstance(admitted, str):
            self._closed = self._ended_by_guard = True
            self._log_refusal(admitted)
            transport.abort()
            return
        self._seat = admitted
        self.connections.add(self)  # uvicorn's shutdown then reaches it during the handshake too
        if self._guard.tls is None:
            self._serve(transport)
            return
        self._arm(TLS_HANDSHAKE, self._guard.timeouts.tls_handshake)
        handshake = self.loop.start_tls(
            transport,
            self,
            self._guard.tls,
            server_side=True,
            ssl_handshake_timeout=self._guard.timeouts.tls_handshake + _HANDSHAKE_BACKSTOP_SECONDS,
        )
        try:
            suspended_on = handshake.send(None)  # the takeover, now (see the module docstring)
        except Exception as exc:
            self._handshake_failed(exc)
            return
        self._handshake = self.loop.create_task(self._after_handshake(_rest_of(handshake, suspended_on)))

    async def _after_handshake(self, handshake: Awaitable[asyncio.Transport | None]) -> None:
        try:
            transport = await handshake
        except Exception as exc:  # a refused certificate, a reset, a timeout: the connection is gone
            self._handshake_failed(exc)
            return
        if self._closed or transport is None or transport.is_closing():
            self._forget()
            return
        self._enter(_ANSWERING)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der and self._seat is not None:
            refused = self._guard.ledger.identify(self._seat, fingerprint_of_der(der))
            if refused is not None:
                self._ended_by_guard = True
                self._log_refusal(refused)
                self._forget()
                transport.abort()
                return
        self._serve(transport)

    def _handshake_failed(self, exc: Exception) -> None:
        if not self._ended_by_guard:
            self._guard.ledger.note_refusal(TLS_HANDSHAKE_FAILED)
            self._guard.refusals.info(
                CONNECTION_REFUSED,
                TLS_HANDSHAKE_FAILED,
                "TLS handshake failed",
                client=self._address,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
        self._forget()

    def _serve(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._serving = True
        if self._guard.tls is not None:
            self._tls = tls_extension(transport)
        self._arm(REQUEST_HEADERS, self._guard.timeouts.request_headers)
        early, self._early = self._early, []
        for chunk in early:
            if not self.transport.is_closing():
                self.data_received(chunk)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._serving:
            self._forget()
            return
        self._forget()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self._serving:
            super().shutdown()
        elif self._raw is not None and not self._closed:
            self._raw.abort()

    def _forget(self) -> None:
        """Release everything the connection holds (idempotent)."""
        self._closed = True
        self._cancel_deadline()
        if self._seat is not None:
            self._guard.ledger.release(self._seat)
        if not self._serving:
            self.connections.discard(self)

    # HTTP: the phases of each request

    def data_received(self, data: bytes) -> None:
        if not self._serving:
            self._early.append(data)
            return
        if self._phase == _IDLE:
            self._enter(REQUEST_HEADERS, self._guard.timeouts.request_headers)
        super().data_received(data)
        if self._deadline is None and self._phase in (REQUEST_HEADERS, REQUEST_BODY):
            # only a request still incomplete after these bytes needs a timer (its phase began with them): a
            # poll that came whole in one read costs none
            self._deadline = self.loop.call_later(self._phase_seconds, self._expire)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._enter(REQUEST_BODY, self._guard.timeouts.request_body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._enter(_ANSWERING)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # uvicorn now waits for the next request
            self._enter(_IDLE)

    def timeout_keep_alive_handler(self) -> None:
        self._guard.ledger.note_timeout(KEEPALIVE_IDLE)
        super().timeout_keep_alive_handler()

    # Deadlines

    def _arm(self, phase: str, seconds: float) -> None:
        """Enter `phase` with a timer now (while no bytes may come to arm it)."""
        self._enter(phase, seconds)
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _enter(self, phase: str, seconds: float = 0.0) -> None:
        """Enter `phase`, which may last `seconds`; its timer is armed by whoever waits for it."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        self._phase_seconds = seconds

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        self._ended_by_guard = True
        phase = self._phase
        self._guard.ledger.note_timeout(phase)
        self._guard.refusals.info(
            CONNECTION_TIMED_OUT, phase, "connection closed: the client took too long", client=self._address
        )
        if self._serving:
            self.transport.abort()
        elif self._raw is not None:
            self._raw.abort()

    def _log_refusal(self, reason: str) -> None:
        self._guard.refusals.warning(CONNECTION_REFUSED, reason, "connection refused", client=self._address)

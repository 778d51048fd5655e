"""A lean HTTP/1.1 keep-alive client over asyncio streams: one persistent connection, one request at a time.

Failures form a small hierarchy whose `kind` is the error label counted in the results:

    HttpClientError               base class, never raised itself
    ├── MalformedResponse         "bad_http": the bytes back are not an HTTP/1.x response
    └── ConnectionLost            "connection_closed": the server closed the connection mid-answer

Operating-system errors (refused, reset, too many open files) and timeouts are not wrapped; `error_kind` names
every exception the client can raise. A connection that the server closed while idle is retried once on a
fresh connection, as browsers and HTTP libraries do, and counted in `stale_retries`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
from dataclasses import dataclass

from bench.loadgen.config import VtnAddress
from shared.http1_answers import HEAD_END, AnswerHead, MalformedAnswer, parse_answer_head, read_chunked_body


class HttpClientError(Exception):
    kind = "http_client_error"


class MalformedResponse(HttpClientError):
    kind = "bad_http"


class ConnectionLost(HttpClientError):
    kind = "connection_closed"


class _IdleConnectionClosed(Exception):
    """The server had closed a reused connection before we sent anything it answered."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


def build_post(address: VtnAddress, service: str, body: bytes) -> bytes:
    """A complete POST request, built once and written as is for every repetition."""
    return build_post_to(address, address.service_path(service), body)


def build_post_to(address: VtnAddress, path: str, body: bytes) -> bytes:
    """A complete POST request to `path` on the VTN's host (2.0a's endpoint is outside the 2.0b base path)."""
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {address.host_header}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def error_kind(error: BaseException) -> str:
    """A short stable label for an exception raised while talking to the VTN."""
    if isinstance(error, HttpClientError):
        return error.kind
    if isinstance(error, ssl.SSLError):
        return f"tls_{error.reason or 'error'}".lower()
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(error, ConnectionResetError):
        return "connection_reset"
    if isinstance(error, BrokenPipeError):
        return "broken_pipe"
    if isinstance(error, asyncio.IncompleteReadError):
        return "connection_closed"
    if isinstance(error, OSError) and error.errno is not None:
        return f"os_error_{errno.errorcode.get(error.errno, str(error.errno))}"
    return type(error).__name__


class KeepAliveConnection:
    """One simulated VEN's connection to the VTN. Not safe for concurrent requests (HTTP/1.1, no pipelining)."""

    def __init__(self, host: str, port: int, timeout: float, ssl_context: ssl.SSLContext | None = None) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout
        self._ssl = ssl_context
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.opened = 0
        self.stale_retries = 0

    async def send(self, request: bytes) -> HttpResponse:
        """Send a complete request (see `build_post`) and read the whole answer, within the timeout."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._exchange(request)
        except BaseException:
            # Whatever went wrong, the connection may hold half an answer: never reuse it.
            self.close()
            raise

    async def _exchange(self, request: bytes) -> HttpResponse:
        if self._writer is None:
            await self._connect()
            return await self._round_trip(request, reused=False)
        try:
            return await self._round_trip(request, reused=True)
        except _IdleConnectionClosed:
            self.close()
            self.stale_retries += 1
            await self._connect()
            return await self._round_trip(request, reused=False)

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port, ssl=self._ssl)
        self.opened += 1

    async def _round_trip(self, request: bytes, *, reused: bool) -> HttpResponse:
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(HEAD_END)
        except asyncio.IncompleteReadError as error:
            if reused and not error.partial:
                raise _IdleConnectionClosed() from error
            raise ConnectionLost("connection closed before the response head was complete") from error
        except (ConnectionResetError, BrokenPipeError) as error:
            if reused:
                raise _IdleConnectionClosed() from error
            raise
        except asyncio.LimitOverrunError as error:
            raise MalformedResponse("response head too large") from error

        answer_head = _parse_head(head)
        status, content_length, chunked, keep_alive = (
            answer_head.status,
            answer_head.content_length,
            answer_head.chunked,
            answer_head.keep_alive,
        )
        try:
            if chunked:
                body = await _read_chunked(reader)
            elif content_length is not None:
                body = await reader.readexactly(content_length)
            elif status in (204, 304) or 100 <= status < 200:
                body = b""
            else:
                body = await reader.read()  # framed by the end of the connection
                keep_alive = False
        except asyncio.IncompleteReadError as error:
            raise ConnectionLost("connection closed in the middle of the response body") from error
        if not keep_alive:
            self.close()
        return HttpResponse(status=status, body=body)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = None
        self._writer = None

    async def aclose(self) -> None:
        writer = self._writer
        self.close()
        if writer is not None:
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _parse_head(head: bytes) -> AnswerHead:
    try:
        return parse_answer_head(head)
    except MalformedAnswer as error:
        raise MalformedResponse(str(error)) from None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    try:
        return await read_chunked_body(reader)
    except MalformedAnswer as error:
        raise MalformedResponse(str(error)) from None

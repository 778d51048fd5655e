"""The keep-alive client against a scripted local server: framing, Connection: close and stale connections."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import (
    ConnectionLost,
    KeepAliveConnection,
    MalformedResponse,
    build_post,
    error_kind,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]
Run = Callable[[Coroutine[Any, Any, None]], None]


def _loop_factories() -> list[LoopFactory]:
    factories: list[LoopFactory] = [asyncio.new_event_loop]
    try:
        import uvloop
    except ImportError:
        return factories
    return [*factories, uvloop.new_event_loop]


@pytest.fixture(params=_loop_factories(), ids=lambda factory: factory.__module__.split(".")[0])
def run(request: pytest.FixtureRequest) -> Run:
    """Runs a coroutine on each event loop the generator may use (asyncio, and uvloop when installed)."""
    factory: LoopFactory = request.param

    def run_on_loop(coroutine: Coroutine[Any, Any, None]) -> None:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(coroutine)

    return run_on_loop


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return await reader.readexactly(length)


async def _with_server(handler: Handler, client: Callable[[KeepAliveConnection, bytes], Awaitable[None]]) -> None:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    address = VtnAddress.parse(f"http://127.0.0.1:{port}/base")
    connection = KeepAliveConnection("127.0.0.1", port, timeout=2.0)
    try:
        async with server:
            await client(connection, build_post(address, "OadrPoll", b"<x/>"))
    finally:
        await connection.aclose()


def test_request_bytes() -> None:
    request = build_post(VtnAddress.parse("http://127.0.0.1:8080/base"), "OadrPoll", b"<x/>")
    assert request == (
        b"POST /base/OadrPoll HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/xml\r\n"
        b"Content-Length: 4\r\n\r\n<x/>"
    )


def test_keep_alive_reuses_one_connection(run: Run) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                body = await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        writer.close()

    async def client(connection: KeepAliveConnection, request: bytes) -> None:
        for _ in range(3):
            response = await connection.send(request)
            assert (response.status, response.body) == (200, b"<x/>")
        assert connection.opened == 1

    run(_with_server(handler, client))


def test_chunked_body_and_connection_close(run: Run) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    async def client(connection: KeepAliveConnection, request: bytes) -> None:
        first = await connection.send(request)
        second = await connection.send(request)
        assert first.body == second.body == b"abcde"
        assert connection.opened == 2 and connection.stale_retries == 0

    run(_with_server(handler, client))


def test_idle_connection_closed_by_server_is_retried_once(run: Run) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # without saying Connection: close, like an idle timeout

    async def client(connection: KeepAliveConnection, request: bytes) -> None:
        await connection.send(request)
        await asyncio.sleep(0.05)
        assert (await connection.send(request)).body == b"ok"
        assert connection.stale_retries == 1

    run(_with_server(handler, client))


def test_truncated_body_and_garbage(run: Run) -> None:
    async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()
        writer.close()

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"SSH-2.0-nope\r\n\r\n")
        await writer.drain()
        writer.close()

    async def expect(error: type[Exception], connection: KeepAliveConnection, request: bytes) -> None:
        with pytest.raises(error):
            await connection.send(request)

    run(_with_server(truncated, lambda c, r: expect(ConnectionLost, c, r)))
    run(_with_server(garbage, lambda c, r: expect(MalformedResponse, c, r)))


def test_timeout_is_an_error_kind(run: Run) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async def client(connection: KeepAliveConnection, request: bytes) -> None:
        connection._timeout = 0.1
        with pytest.raises(TimeoutError) as caught:
            await connection.send(request)
        assert error_kind(caught.value) == "timeout"

    run(_with_server(silent, client))


def test_error_kinds() -> None:
    assert error_kind(ConnectionRefusedError()) == "connection_refused"
    assert error_kind(OSError(24, "Too many open files")) == "os_error_EMFILE"
    assert error_kind(MalformedResponse()) == "bad_http"

"""Throwaway TLS material and small local servers that fail a client's TLS the ways real servers do, for the
start-up checks of the Kafka and PostgreSQL clients (no broker or database needed)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@contextlib.asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on 127.0.0.1 running `handler` per connection (after the TLS handshake with `tls`); yields its port."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, then close without a word: what a broker does to a client of another security protocol."""


async def answer_in_plain_text(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Speak plain bytes to whoever connects: a listener without TLS, as a TLS client sees it."""
    writer.write(b"\x00\x00\x00\x10 not TLS at all\r\n")
    await writer.drain()
    await reader.read(1024)


def postgres_answering(ssl_request_answer: bytes, tls: ssl.SSLContext | None = None) -> Handler:
    """A PostgreSQL server as far as the TLS negotiation: reads the SSLRequest, answers b"S" (then TLS with
    `tls`) or b"N" (no TLS here)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(8)
        writer.write(ssl_request_answer)
        await writer.drain()
        if ssl_request_answer == b"S" and tls is not None:
            await writer.start_tls(tls)
        await reader.read(1024)

    return handle

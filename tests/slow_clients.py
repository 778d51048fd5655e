"""Clients that hold a connection without using it, for the tests of the gateway's connection timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time


async def seconds_until_closed(reader: asyncio.StreamReader, limit: float = 30.0) -> float:
    """How long until the server closes the connection (EOF or reset); `limit` if it never does."""
    started = time.monotonic()
    with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
        async with asyncio.timeout(limit):
            while await reader.read(4096):
                pass
    return time.monotonic() - started


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float) -> None:
    """Send `data` a byte at a time, `pause` seconds apart, until done or the server hangs up."""
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        for index in range(len(data)):
            writer.write(data[index : index + 1])
            await writer.drain()
            await asyncio.sleep(pause)

"""HTTP/1.1 on one connection to a VEN: write a POST, read the answer within a size cap. No pooling here.

Lean on purpose (the pusher sends thousands of small POSTs a second): Content-Length and chunked framing,
`Connection: close` honoured, a head over 16 KiB or a body over the cap refused without reading it all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.push.deliverer import DeliveryFailed

MAX_HEAD_BYTES = 16 * 1024
_HEAD_END = b"\r\n\r\n"
_CRLF = b"\r\n"


class IdleConnectionClosed(Exception):
    """A reused connection turned out closed by the VEN before it answered anything: send again on a new one."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    keep_alive: bool


def post_request(host_header: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "User-Agent: openadr-vtn-push\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, max_body: int, reused: bool
) -> HttpAnswer:
    """Send `request` and read the whole answer (the caller bounds the time)."""
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(_HEAD_END)
    except asyncio.IncompleteReadError as error:
        if reused and not error.partial:
            raise IdleConnectionClosed() from error
        raise DeliveryFailed("http_error", "the VEN closed the connection before answering") from error
    except (ConnectionResetError, BrokenPipeError) as error:
        if reused:
            raise IdleConnectionClosed() from error
        raise DeliveryFailed("connect", f"connection lost: {error!r}") from error
    except asyncio.LimitOverrunError as error:
        raise DeliveryFailed("http_error", "the answer's head is too large") from error
    status, length, chunked, keep_alive = parse_head(head)
    try:
        if chunked:
            body = await _read_chunked(reader, max_body)
        elif length is not None:
            if length > max_body:
                raise DeliveryFailed("too_large", f"an answer of {length} bytes (more than {max_body})")
            body = await reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await _read_to_end(reader, max_body)
            keep_alive = False
    except asyncio.IncompleteReadError as error:
        raise DeliveryFailed("http_error", "the VEN closed the connection in the middle of its answer") from error
    except (ConnectionResetError, BrokenPipeError) as error:
        raise DeliveryFailed("connect", f"connection lost: {error!r}") from error
    return HttpAnswer(status, body, keep_alive)


def parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """Status, Content-Length, whether chunked, whether the connection stays open."""
    if len(head) > MAX_HEAD_BYTES:
        raise DeliveryFailed("http_error", "the answer's head is too large")
    lines = head[: -len(_HEAD_END)].split(_CRLF)
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise DeliveryFailed("http_error", f"not an HTTP answer: {lines[0][:80]!r}")
    try:
        status = int(parts[1])
    except ValueError:
        raise DeliveryFailed("http_error", f"bad status code {parts[1][:20]!r}") from None
    keep_alive = parts[0] != b"HTTP/1.0"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise DeliveryFailed("http_error", f"bad Content-Length {value[:20]!r}") from None
            if length < 0:
                raise DeliveryFailed("http_error", "negative Content-Length")
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            tokens = value.lower()
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
    return status, (None if chunked else length), chunked, keep_alive


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size_so_far = 0
    while True:
        size_line = await reader.readuntil(_CRLF)
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise DeliveryFailed("http_error", f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(_CRLF) != _CRLF:  # trailers
                pass
            return b"".join(chunks)
        size_so_far += size
        if size_so_far > max_body:
            raise DeliveryFailed("too_large", f"a chunked answer of more than {max_body} bytes")
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != _CRLF:
            raise DeliveryFailed("http_error", "chunk not terminated by CRLF")


async def _read_to_end(reader: asyncio.StreamReader, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await reader.read(64 * 1024):
        size += len(chunk)
        if size > max_body:
            raise DeliveryFailed("too_large", f"an answer of more than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

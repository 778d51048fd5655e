"""HTTP/1.1 on one connection to a VEN: write a POST, read the answer within a size cap. No pooling here.

Lean on purpose (the pusher sends thousands of small POSTs a second): Content-Length and chunked framing,
`Connection: close` honoured, a head over 16 KiB or a body over the cap refused without reading it all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.push.deliverer import DeliveryFailed
from shared.http1_answers import (
    HEAD_END,
    AnswerHead,
    AnswerTooLarge,
    MalformedAnswer,
    parse_answer_head,
    read_chunked_body,
)

MAX_HEAD_BYTES = 16 * 1024


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
        head = await reader.readuntil(HEAD_END)
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
    answer_head = parse_head(head)
    status, length, chunked, keep_alive = (
        answer_head.status,
        answer_head.content_length,
        answer_head.chunked,
        answer_head.keep_alive,
    )
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


def parse_head(head: bytes) -> AnswerHead:
    """The answer's head; one over MAX_HEAD_BYTES or not HTTP fails the delivery."""
    if len(head) > MAX_HEAD_BYTES:
        raise DeliveryFailed("http_error", "the answer's head is too large")
    try:
        return parse_answer_head(head)
    except MalformedAnswer as error:
        raise DeliveryFailed("http_error", str(error)) from None


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    try:
        return await read_chunked_body(reader, max_body)
    except AnswerTooLarge as error:
        raise DeliveryFailed("too_large", str(error)) from None
    except MalformedAnswer as error:
        raise DeliveryFailed("http_error", str(error)) from None


async def _read_to_end(reader: asyncio.StreamReader, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await reader.read(64 * 1024):
        size += len(chunk)
        if size > max_body:
            raise DeliveryFailed("too_large", f"an answer of more than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

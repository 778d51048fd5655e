"""Reading an HTTP/1.1 answer on a client connection: the head (status, framing, keep-alive) and a chunked body.

Pure framing, shared by the pusher's connection to VENs and the benchmarks' simulated VENs: each caller turns
`MalformedAnswer` into its own error. Nothing here reads more than the framing says.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"
CRLF = b"\r\n"


class MalformedAnswer(ValueError):
    """The bytes are not an HTTP/1.x answer, or not framed as one."""


class AnswerTooLarge(MalformedAnswer):
    """A chunked body grew past the reader's cap."""


@dataclass(frozen=True, slots=True)
class AnswerHead:
    status: int
    content_length: int | None  # None when chunked or framed by the end of the connection
    chunked: bool
    keep_alive: bool


def parse_answer_head(head: bytes) -> AnswerHead:
    """The head of an answer, up to and including the blank line that ends it."""
    lines = head.removesuffix(HEAD_END).split(CRLF)
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise MalformedAnswer(f"not an HTTP answer: {lines[0][:80]!r}")
    try:
        status = int(parts[1])
    except ValueError:
        raise MalformedAnswer(f"bad status code {parts[1][:20]!r}") from None
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
                raise MalformedAnswer(f"bad Content-Length {value[:20]!r}") from None
            if length < 0:
                raise MalformedAnswer("negative Content-Length")
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            tokens = value.lower()
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
    return AnswerHead(status, None if chunked else length, chunked, keep_alive)


async def read_chunked_body(reader: asyncio.StreamReader, max_body: int | None = None) -> bytes:
    """A chunked body, trailers skipped; more than `max_body` bytes (when given) raises AnswerTooLarge."""
    chunks: list[bytes] = []
    size_so_far = 0
    while True:
        size_line = await reader.readuntil(CRLF)
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise MalformedAnswer(f"bad chunk size {size_line[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(CRLF) != CRLF:  # trailers
                pass
            return b"".join(chunks)
        size_so_far += size
        if max_body is not None and size_so_far > max_body:
            raise AnswerTooLarge(f"a chunked answer of more than {max_body} bytes")
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != CRLF:
            raise MalformedAnswer("chunk not terminated by CRLF")

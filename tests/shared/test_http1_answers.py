"""The HTTP/1.1 answer framing shared by the pusher and the benchmarks' VENs."""

from __future__ import annotations

import asyncio

import pytest

from shared.http1_answers import AnswerHead, AnswerTooLarge, MalformedAnswer, parse_answer_head, read_chunked_body


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", AnswerHead(200, 12, False, True)),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            AnswerHead(200, None, True, True),
        ),
        (b"HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\n", AnswerHead(503, None, False, False)),
        (b"HTTP/1.0 200 OK\r\n\r\n", AnswerHead(200, None, False, False)),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", AnswerHead(200, None, False, True)),
    ],
)
def test_a_head_gives_its_status_framing_and_keep_alive(head: bytes, expected: AnswerHead) -> None:
    assert parse_answer_head(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: twelve\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    ],
)
def test_a_head_that_is_not_http_or_badly_framed_is_malformed(head: bytes) -> None:
    with pytest.raises(MalformedAnswer):
        parse_answer_head(head)


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_a_chunked_body_is_joined_and_its_trailers_skipped() -> None:
    body = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\nNEXT"
    reader = _reader(body)
    assert await read_chunked_body(reader) == b"Wikipedia"
    assert await reader.read() == b"NEXT"  # nothing read past the body


async def test_a_chunked_body_over_the_cap_or_badly_framed_is_refused() -> None:
    with pytest.raises(AnswerTooLarge):
        await read_chunked_body(_reader(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), max_body=8)
    with pytest.raises(MalformedAnswer):
        await read_chunked_body(_reader(b"zz\r\nWiki\r\n0\r\n\r\n"))
    with pytest.raises(MalformedAnswer):
        await read_chunked_body(_reader(b"4\r\nWikiXX0\r\n\r\n"))

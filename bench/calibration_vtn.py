"""A calibration target: the cheapest server that still speaks the exchanges the load generator drives.

    python -m bench.calibration_vtn --port 8099 [--server raw|uvicorn]

It answers EiRegisterParty with an oadrCreatedPartyRegistration carrying a fresh venID and every OadrPoll
with one fixed oadrResponse (both rendered once at start-up by OpenLEADR). It does no parsing, validation or
storage, so the requests per second the generator reaches against it are the generator's own ceiling on this
machine: the figure that tells whether a VTN, rather than the generator, limited a measurement.

`raw` is a bare asyncio protocol on uvloop (the ceiling); `uvicorn` is a plain ASGI app under uvicorn with
httptools and uvloop (what an ASGI VTN could reach if its handlers cost nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any, cast

from openleadr.messaging import create_message

from bench.loadgen.system import raise_open_file_limit, run_async

_VEN_ID_PLACEHOLDER = "VEN-ID-PLACEHOLDER"
_VTN_ID = "bench-calibration-vtn"
_OK = {"response_code": 200, "response_description": "OK", "request_id": None}


class FixedAnswers:
    """Response bodies by service; only the venID of a registration answer changes between requests."""

    def __init__(self) -> None:
        registration: str = create_message(
            "oadrCreatedPartyRegistration",
            response=_OK,
            ven_id=_VEN_ID_PLACEHOLDER,
            registration_id="bench-calibration-registration",
            vtn_id=_VTN_ID,
            profiles=[{"profile_name": "2.0b", "transports": [{"transport_name": "simpleHttp"}]}],
            requested_oadr_poll_freq=timedelta(seconds=10),
        )
        self._registration_head, self._registration_tail = registration.encode().split(_VEN_ID_PLACEHOLDER.encode())
        poll: str = create_message("oadrResponse", response=_OK, ven_id="bench-calibration-ven")
        self.poll = poll.encode()
        self._ven_numbers = itertools.count(1)

    def body_for(self, path: bytes) -> bytes | None:
        if path.endswith(b"/OadrPoll"):
            return self.poll
        if path.endswith(b"/EiRegisterParty"):
            ven_id = f"calibration-ven-{next(self._ven_numbers)}".encode()
            return self._registration_head + ven_id + self._registration_tail
        return None


def _http_response(body: bytes | None) -> bytes:
    if body is None:
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


class FixedAnswerProtocol(asyncio.Protocol):
    """Just enough HTTP/1.1 for keep-alive POSTs framed by Content-Length (pipelining included)."""

    _MAX_HEAD = 65536

    def __init__(self, answers: FixedAnswers) -> None:
        self._answers = answers
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, so this is a cast, not an isinstance check.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while True:
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buffer) > self._MAX_HEAD:
                    self._transport.close()
                return
            head = bytes(self._buffer[:head_end])
            lowered = head.lower()
            length = 0
            marker = lowered.find(b"\r\ncontent-length:")
            if marker >= 0:
                line_end = lowered.find(b"\r\n", marker + 2)
                length = int(lowered[marker + 17 : line_end if line_end >= 0 else len(lowered)])
            total = head_end + 4 + length
            if len(self._buffer) < total:
                return
            path = head.split(b" ", 2)[1]
            del self._buffer[:total]
            self._transport.write(_http_response(self._answers.body_for(path)))


async def _serve_raw(host: str, port: int) -> None:
    answers = FixedAnswers()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FixedAnswerProtocol(answers), host, port, backlog=4096)
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    print(f"calibration VTN (raw) on http://{host}:{port}/OpenADR2/Simple/2.0b", flush=True)
    async with server:
        await stop.wait()


Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def asgi_app(answers: FixedAnswers) -> Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]:
    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body", False):
            pass
        body = answers.body_for(scope["path"].encode())
        headers = [(b"content-type", b"application/xml")] if body is not None else []
        await send({"type": "http.response.start", "status": 200 if body is not None else 404, "headers": headers})
        await send({"type": "http.response.body", "body": body or b""})

    return app


def _serve_uvicorn(host: str, port: int) -> None:
    import uvicorn

    print(f"calibration VTN (uvicorn) on http://{host}:{port}/OpenADR2/Simple/2.0b", flush=True)
    uvicorn.run(
        asgi_app(FixedAnswers()),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=4096,
        timeout_keep_alive=75,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibration_vtn", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--server", choices=["raw", "uvicorn"], default="raw")
    arguments = parser.parse_args(argv)
    raise_open_file_limit()
    if arguments.server == "raw":
        run_async(_serve_raw(arguments.host, arguments.port))
    else:
        _serve_uvicorn(arguments.host, arguments.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())

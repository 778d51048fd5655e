"""The event benchmark's baseline: bench.openleadr_vtn's OpenLEADR 0.5.36 VTN plus two control routes.

    python -m bench.openleadr_event_vtn --port 8090

`POST /bench/add-event` `{"ven_ids": [...]}` calls OpenLEADR's `add_event` (SIMPLE level 1, 10 minutes out)
for each VEN, with a callback that counts answers; `GET /bench/answers` returns
`{"count": answers so far, "last_at": wall-clock time of the latest}`. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from bench.loadgen.system import raise_open_file_limit
from bench.openleadr_vtn import build_server


class AnswerCounter:
    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0

    def __call__(self, ven_id: str, event_id: str, opt_type: str) -> None:
        self.count += 1
        self.last_at = time.time()


async def serve(host: str, port: int) -> None:
    server = build_server(host, port, poll_seconds=1.0, ven_lookup=True)
    answers = AnswerCounter()

    async def add_event(request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        start = datetime.now(timezone.utc) + timedelta(minutes=10)
        for ven_id in body["ven_ids"]:
            server.add_event(
                ven_id=ven_id,
                signal_name="simple",
                signal_type="level",
                intervals=[{"dtstart": start, "duration": timedelta(minutes=5), "signal_payload": 1.0}],
                callback=answers,
            )
        return web.json_response({"added": len(body["ven_ids"])})

    async def answer_count(_: web.Request) -> web.Response:
        return web.json_response({"count": answers.count, "last_at": answers.last_at})

    server.app.add_routes([web.post("/bench/add-event", add_event), web.get("/bench/answers", answer_count)])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await server.run()
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.openleadr_event_vtn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("openleadr").setLevel(logging.WARNING)
    raise_open_file_limit()
    asyncio.run(serve(arguments.host, arguments.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The event benchmark's baseline: bench.openleadr_vtn's OpenLEADR 0.5.36 VTN plus two control routes.

    python -m bench.openleadr_event_vtn --port 8090

`POST /bench/add-event` `{"ven_ids": [...]}` calls OpenLEADR's `add_event` (SIMPLE level 1, 10 minutes out)
for each VEN, with a callback that counts answers; `GET /bench/answers` returns
`{"count": answers so far, "last_at": wall-clock time of the latest}`. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from bench.openleadr_vtn import build_server, run_server_module, run_until_signalled


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
    await run_until_signalled(server)


def main(argv: list[str] | None = None) -> int:
    return run_server_module("python -m bench.openleadr_event_vtn", 8090, serve, argv)


if __name__ == "__main__":
    sys.exit(main())

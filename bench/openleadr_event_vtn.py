"""The event benchmark's baseline: bench.openleadr_vtn's OpenLEADR 0.5.36 VTN plus two control routes.

    python -m bench.openleadr_event_vtn --port 8090

`POST /bench/phase` `{"phase": "create" | "modify" | "cancel", "events": [{"event_id": ..., "ven_ids": [...]}]}`
does to every listed VEN's copy of each event what an operator of OpenLEADR does: `add_event` (SIMPLE level 1,
10 minutes out), a modification (signal level 2, modificationNumber + 1, the VEN's events marked updated, as
OpenLEADR has no call for it) or `cancel_event`. OpenLEADR keeps one answer callback per eventID and drops it
at the first answer, so each VEN's copy has its own eventID (`<event_id>@<ven_id>`), and a modification or a
cancel registers the callback again. `GET /bench/answers` returns `{"count": answers since the last phase
began, "last_at": wall-clock time of the latest}`. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from openleadr import utils

from bench.openleadr_vtn import build_server, run_server_module, run_until_signalled


class AnswerCounter:
    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0

    def __call__(self, ven_id: str, event_id: str, opt_type: str) -> None:
        self.count += 1
        self.last_at = time.time()


def copy_id(event_id: str, ven_id: str) -> str:
    return f"{event_id}@{ven_id}"


async def serve(host: str, port: int) -> None:
    server = build_server(host, port, poll_seconds=1.0, ven_lookup=True)
    counter = AnswerCounter()

    def create(event_id: str, ven_id: str) -> None:
        start = datetime.now(UTC) + timedelta(minutes=10)
        server.add_event(
            ven_id=ven_id,
            event_id=copy_id(event_id, ven_id),
            signal_name="simple",
            signal_type="level",
            intervals=[{"dtstart": start, "duration": timedelta(minutes=5), "signal_payload": 1.0}],
            callback=counter,
        )

    def modify(event_id: str, ven_id: str) -> None:
        event = utils.find_by(server.events[ven_id], "event_descriptor.event_id", copy_id(event_id, ven_id))
        for signal in utils.getmember(event, "event_signals"):
            for interval in utils.getmember(signal, "intervals"):
                utils.setmember(interval, "signal_payload", 2.0)
        utils.increment_event_modification_number(event)
        server.events_updated[ven_id] = True
        server.event_callbacks[copy_id(event_id, ven_id)] = (event, counter)

    def cancel(event_id: str, ven_id: str) -> None:
        server.cancel_event(ven_id, copy_id(event_id, ven_id))
        event = utils.find_by(server.events[ven_id], "event_descriptor.event_id", copy_id(event_id, ven_id))
        server.event_callbacks[copy_id(event_id, ven_id)] = (event, counter)

    actions = {"create": create, "modify": modify, "cancel": cancel}

    async def phase(request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        action = actions[body["phase"]]
        counter.count, counter.last_at = 0, 0.0
        for event in body["events"]:
            for ven_id in event["ven_ids"]:
                action(event["event_id"], ven_id)
        return web.json_response({"done": len(body["events"])})

    async def answer_count(_: web.Request) -> web.Response:
        return web.json_response({"count": counter.count, "last_at": counter.last_at})

    server.app.add_routes([web.post("/bench/phase", phase), web.get("/bench/answers", answer_count)])
    await run_until_signalled(server)


def main(argv: list[str] | None = None) -> int:
    return run_server_module("python -m bench.openleadr_event_vtn", 8090, serve, argv)


if __name__ == "__main__":
    sys.exit(main())

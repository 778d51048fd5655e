"""Wires event_svc: settings -> resources -> consumers."""

from __future__ import annotations

from event_svc.ven_requests import EventRequestHandler
from shared import topics
from shared.db.idempotent import IdempotentHandler
from shared.runtime import ServiceRuntime, run_service

SERVICE = "event_svc"


async def setup(runtime: ServiceRuntime) -> None:
    handler = IdempotentHandler(runtime.pool, SERVICE, EventRequestHandler(runtime.settings.vtn_id), runtime.relay)
    runtime.consume([topics.EVENT_REQUESTS, topics.OPT_REQUESTS], handler)


if __name__ == "__main__":
    run_service(SERVICE, setup)

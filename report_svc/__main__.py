"""Wires report_svc: settings -> resources -> consumers."""

from __future__ import annotations

from report_svc.ven_requests import handle_report_request
from shared import topics
from shared.db.idempotent import IdempotentHandler
from shared.runtime import ServiceRuntime, run_service

SERVICE = "report_svc"


async def setup(runtime: ServiceRuntime) -> None:
    runtime.consume([topics.REPORT_REQUESTS], IdempotentHandler(runtime.pool, SERVICE, handle_report_request, runtime.relay))


if __name__ == "__main__":
    run_service(SERVICE, setup)

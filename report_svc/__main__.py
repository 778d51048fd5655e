"""Wires report_svc: settings -> resources -> consumers."""

from __future__ import annotations

from datetime import timedelta

from report_svc.commands import QUERIES, handle_command, handle_query
from report_svc.data_relay import ReportDataRelay, WakingAfterCommit
from report_svc.policy import ReportPolicy
from report_svc.update_handlers import UpdateHandlers
from report_svc.ven_requests import ReportConfig, ReportRequestHandler
from shared import topics
from shared.db.command_router import QueriesAndCommands
from shared.db.idempotent import IdempotentHandler
from shared.plugins import load_optional
from shared.runtime import ServiceRuntime, run_service

SERVICE = "report_svc"


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    policy = ReportPolicy(
        name=settings.report_policy,
        granularity=timedelta(seconds=settings.report_granularity_seconds),
        report_back_duration=timedelta(seconds=settings.report_back_duration_seconds),
        on_register_report=load_optional(settings.on_register_report),
    )
    config = ReportConfig(policy=policy, handlers=UpdateHandlers(load_optional(settings.on_update_report)))
    pool, relay = runtime.pool, runtime.relay
    data_relay = ReportDataRelay(pool, settings.kafka_bootstrap, f"{SERVICE}-relay-{settings.instance_id}")
    ven_requests = IdempotentHandler(pool, SERVICE, ReportRequestHandler(config), relay)
    runtime.consume([topics.REPORT_REQUESTS], WakingAfterCommit(ven_requests, data_relay.wake))
    # The relay loops until the runtime cancels it at shutdown; "every" with no delay just starts it.
    runtime.every(0.0, data_relay.run, "report_data_relay")
    commands = IdempotentHandler(pool, f"{SERVICE}.commands", handle_command, relay)
    runtime.consume([topics.REPORT_COMMANDS], QueriesAndCommands(pool, QUERIES, handle_query, commands), ".commands")


if __name__ == "__main__":
    run_service(SERVICE, setup)

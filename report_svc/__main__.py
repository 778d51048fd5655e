"""Wires report_svc: settings -> resources -> consumers and periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from report_svc.confirmations.sweep import ConfirmationSweep
from report_svc.own_reports.catalog import parse_catalog
from report_svc.own_reports.commands import QUERIES, ReportCommands
from report_svc.own_reports.data import VtnReportSource
from report_svc.own_reports.registrations import RegistrationWatcher
from report_svc.own_reports.requests_from_vens import VtnReportRequests
from report_svc.own_reports.sender import VtnReportSender
from report_svc.retention import purge_report_data
from report_svc.ven_messages import ANSWERED_BY_DELIVERY, ReportConfig, ReportRequestHandler
from report_svc.ven_reports.policy import ReportPolicy
from report_svc.ven_reports.publishing.relay import ReportDataRelay
from report_svc.ven_reports.updates.batches import UpdateReportBatches
from report_svc.ven_reports.updates.handlers import UpdateHandlers
from shared import topics
from shared.awaited_replies import ConfirmationPolicy
from shared.bus.service_consumer import ServiceRules
from shared.db.command_router import QueriesAndCommands
from shared.db.idempotent import IdempotentHandler, WakingAfterCommit
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.plugins import load_optional
from shared.runtime import ServiceRuntime, run_service
from shared.stale_requests import AnsweredByDelivery

SERVICE = "report_svc"
RETENTION_CHECK_SECONDS = 3600.0
UPDATE_BATCH_RECORDS = 500  # oadrUpdateReports stored in one transaction, at most
RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS, AnsweredByDelivery.of(ANSWERED_BY_DELIVERY))


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    policy = ReportPolicy(
        name=settings.report_policy,
        granularity=timedelta(seconds=settings.report_granularity_seconds),
        report_back_duration=timedelta(seconds=settings.report_back_duration_seconds),
        on_register_report=load_optional(settings.on_register_report),
    )
    on_request_report = load_optional(settings.on_request_report)
    catalog = parse_catalog(settings.own_reports, has_handler=on_request_report is not None)
    lanes = settings.topic_partitions  # one lane per partition of the report-data topic
    config = ReportConfig(
        policy=policy,
        handlers=UpdateHandlers(load_optional(settings.on_update_report)),
        vtn_reports=VtnReportRequests(catalog),
        data_lanes=lanes,
    )
    pool, relay = runtime.pool, runtime.relay
    data_relay = ReportDataRelay(pool, runtime.kafka, f"{SERVICE}-relay-{settings.instance_id}", lanes)
    ven_requests = IdempotentHandler(pool, SERVICE, ReportRequestHandler(config), relay)
    report_requests = runtime.consume(
        [topics.REPORT_REQUESTS],
        WakingAfterCommit(ven_requests, data_relay.wake),
        batch_handler=UpdateReportBatches(pool, config.handlers, lanes, data_relay.wake),
        max_records=UPDATE_BATCH_RECORDS,
    )
    # Each instance publishes the report data of the VENs whose reports it consumes (report_svc.ven_reports.publishing.lanes).
    report_requests.watch_assignment(topics.REPORT_REQUESTS, data_relay.assign)
    # The relay loops until the runtime cancels it at shutdown; "every" with no delay just starts it.
    runtime.every(0.0, data_relay.run, "report_data_relay")
    handlers = ReportCommands(catalog)
    commands = IdempotentHandler(pool, f"{SERVICE}.commands", handlers.handle_command, relay)
    runtime.consume(
        [topics.REPORT_COMMANDS], QueriesAndCommands(pool, QUERIES, handlers.handle_query, commands), ".commands"
    )
    watcher = RegistrationWatcher(catalog, settings.offer_reports_on_registration)
    runtime.consume(
        [topics.REGISTRATION_EVENTS],
        IdempotentHandler(pool, f"{SERVICE}.registrations", watcher, relay),
        ".registrations",
    )
    confirmations = ConfirmationPolicy(
        wait=timedelta(seconds=settings.report_confirm_wait_seconds), resend_limit=settings.report_resend_limit
    )
    sender = VtnReportSender(pool, catalog, VtnReportSource(on_request_report), relay, confirmations.wait)
    runtime.every(settings.own_report_check_seconds, sender, "send_vtn_reports")
    runtime.every(settings.report_confirm_check_seconds, ConfirmationSweep(pool, confirmations), "resend_unconfirmed")
    retention = timedelta(days=settings.report_retention_days)

    async def purge() -> None:
        await purge_report_data(pool, retention)

    runtime.every(RETENTION_CHECK_SECONDS, purge, "purge_report_data")


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)

"""Wires event_svc: settings -> resources -> consumers and the clock job."""

from __future__ import annotations

from datetime import timedelta

from event_svc.answer_waits.sweep import AnswerSweep
from event_svc.commands import QUERIES, EventCommandHandler, EventConfig, handle_query
from event_svc.handlers import CreatedEventHandler, RegistrationWatcher
from event_svc.refresh import advance_due_events
from event_svc.ven_requests import ANSWERED_BY_DELIVERY, EventRequestHandler, PullsBesideTheInbox
from shared import topics
from shared.awaited_replies import ConfirmationPolicy
from shared.bus.service_consumer import ServiceRules
from shared.contract.envelope import utcnow
from shared.db import handler_events
from shared.db.command_router import QueriesAndCommands
from shared.db.idempotent import IdempotentHandler
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.plugins import load_optional
from shared.runtime import ServiceRuntime, run_service
from shared.stale_requests import AnsweredByDelivery

SERVICE = "event_svc"
HANDLER_EVENTS_PURGE_SECONDS = 3600.0
RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS, AnsweredByDelivery.of(ANSWERED_BY_DELIVERY))


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    pool, relay = runtime.pool, runtime.relay
    config = EventConfig(vtn_id=settings.id, retention=timedelta(seconds=settings.event_retention_seconds))
    handler = EventRequestHandler(settings.id, load_optional(settings.on_request_event))
    requests = PullsBesideTheInbox(pool, handler, IdempotentHandler(pool, SERVICE, handler, relay))
    runtime.consume([topics.EVENT_REQUESTS, topics.OPT_REQUESTS], requests)
    commands = IdempotentHandler(pool, f"{SERVICE}.commands", EventCommandHandler(config), relay)
    runtime.consume([topics.EVENT_COMMANDS], QueriesAndCommands(pool, QUERIES, handle_query, commands), ".commands")
    runtime.consume([topics.REGISTRATION_EVENTS], RegistrationWatcher(pool, settings.id), ".registrations")
    on_created_event = load_optional(settings.on_created_event)
    if on_created_event is not None:
        runtime.consume([topics.EVENT_RESPONSES], CreatedEventHandler(on_created_event), ".handlers")

    async def advance() -> None:
        if await advance_due_events(pool, config.vtn_id, config.retention, utcnow()):
            relay.wake()

    runtime.every(settings.event_refresh_seconds, advance, "advance_due_events")

    async def forget_handler_events() -> None:
        async with pool.acquire() as conn:
            await handler_events.purge(conn, utcnow() - config.retention)

    runtime.every(HANDLER_EVENTS_PURGE_SECONDS, forget_handler_events, "purge_handler_events")

    policy = ConfirmationPolicy(
        wait=timedelta(seconds=settings.event_confirm_wait_seconds), resend_limit=settings.event_resend_limit
    )
    sweep = AnswerSweep(pool, config.vtn_id, policy)

    async def send_unanswered_again() -> None:
        if await sweep():
            relay.wake()

    runtime.every(settings.event_confirm_check_seconds, send_unanswered_again, "event_answer_sweep")


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)

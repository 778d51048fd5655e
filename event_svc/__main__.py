"""Wires event_svc: settings -> resources -> consumers and the clock job."""

from __future__ import annotations

from datetime import timedelta

from event_svc.answer_waits.sweep import AnswerSweep
from event_svc.commands import QUERIES, EventCommandHandler, EventConfig, handle_query
from event_svc.created_event_batches import CreatedEventBatches
from event_svc.fanout import SetFanout
from event_svc.handlers import CreatedEventHandler, RegistrationWatcher
from event_svc.refresh import SetOutlet, advance_due_events
from event_svc.ven_requests import ANSWERED_BY_DELIVERY, EventRequestHandler, PullsBesideTheInbox
from shared import topics
from shared.awaited_replies import ConfirmationPolicy
from shared.bus.service_consumer import ServiceRules
from shared.contract.envelope import utcnow
from shared.db import handler_events
from shared.db.command_router import QueriesAndCommands
from shared.db.idempotent import IdempotentHandler, WakingAfterCommit
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.plugins import load_optional
from shared.runtime import ServiceRuntime, run_service
from shared.stale_requests import AnsweredByDelivery

SERVICE = "event_svc"
ANSWER_BATCH_RECORDS = 500  # oadrCreatedEvent messages stored in one transaction, at most
HANDLER_EVENTS_PURGE_SECONDS = 3600.0
RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS, AnsweredByDelivery.of(ANSWERED_BY_DELIVERY))


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    pool, relay = runtime.pool, runtime.relay
    # Handouts are grouped by the partition each VEN's notices go to, as the topic has them now.
    outlet = SetOutlet(settings.id, len(await runtime.producer.partitions_of(topics.VEN_CHANGES)))
    config = EventConfig(
        outlet=outlet,
        retention=timedelta(seconds=settings.event_retention_seconds),
        batch_max=settings.event_batch_max,
    )
    handler = EventRequestHandler(settings.id, load_optional(settings.on_request_event))
    requests = PullsBesideTheInbox(pool, handler, IdempotentHandler(pool, SERVICE, handler, relay))
    # The answers of many VENs to an event arrive together: each fetch's go through one transaction.
    answers = CreatedEventBatches(pool, SERVICE, relay)
    runtime.consume(
        [topics.EVENT_REQUESTS, topics.OPT_REQUESTS], requests, batch_handler=answers, max_records=ANSWER_BATCH_RECORDS
    )
    # Event changes are answered once saved; the fan-out, woken after each commit, queues the VENs' sets.
    fanout = SetFanout(pool, outlet, relay.wake)
    runtime.every(0.0, fanout.run, "event_fanout")  # "every" with no delay just starts its loop
    commands = IdempotentHandler(pool, f"{SERVICE}.commands", EventCommandHandler(config), relay)
    runtime.consume(
        [topics.EVENT_COMMANDS],
        WakingAfterCommit(QueriesAndCommands(pool, QUERIES, handle_query, commands), fanout.wake),
        ".commands",
    )
    runtime.consume([topics.REGISTRATION_EVENTS], RegistrationWatcher(pool, outlet), ".registrations")
    on_created_event = load_optional(settings.on_created_event)
    if on_created_event is not None:
        runtime.consume([topics.EVENT_RESPONSES], CreatedEventHandler(on_created_event), ".handlers")

    async def advance() -> None:
        if await advance_due_events(pool, outlet, config.retention, utcnow()):
            relay.wake()

    runtime.every(settings.event_refresh_seconds, advance, "advance_due_events")

    async def forget_handler_events() -> None:
        async with pool.acquire() as conn:
            await handler_events.purge(conn, utcnow() - config.retention)

    runtime.every(HANDLER_EVENTS_PURGE_SECONDS, forget_handler_events, "purge_handler_events")

    policy = ConfirmationPolicy(
        wait=timedelta(seconds=settings.event_confirm_wait_seconds), resend_limit=settings.event_resend_limit
    )
    sweep = AnswerSweep(pool, outlet, policy)

    async def send_unanswered_again() -> None:
        if await sweep():
            relay.wake()

    runtime.every(settings.event_confirm_check_seconds, send_unanswered_again, "event_answer_sweep")


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)

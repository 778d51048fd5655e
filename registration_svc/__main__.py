"""Wires registration_svc: settings -> resources -> consumers."""

from __future__ import annotations

from datetime import timedelta

from registration_svc import polls, ven_requests
from registration_svc.handout_records import HandoutRecords
from registration_svc.operator import QUERIES, OperatorCommands, handle_query
from registration_svc.policy import build_policy
from registration_svc.poll_batches import PollBatches
from registration_svc.poll_hook import PollHook
from registration_svc.polls import PollHandler
from registration_svc.ven_requests import RegisterPartyHandler, RegistrationConfig
from shared import topics
from shared.bus.service_consumer import ServiceRules
from shared.db import pending
from shared.db.command_router import QueriesAndCommands
from shared.db.idempotent import IdempotentHandler
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.plugins import load_optional
from shared.push_addresses import PushAddressPolicy
from shared.runtime import ServiceRuntime, run_service
from shared.stale_requests import AnsweredByDelivery

SERVICE = "registration_svc"
HOUSEKEEPING_SECONDS = 600.0
DELIVERED_MESSAGE_RETENTION_DAYS = 7
POLL_REQUESTS_PER_FETCH = 500  # polls taken, or handouts marked, in one transaction at most
RULES = ServiceRules(
    TRANSIENT_DATABASE_ERRORS, AnsweredByDelivery.of(ven_requests.ANSWERED_BY_DELIVERY, polls.ANSWERED_BY_DELIVERY)
)


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    config = RegistrationConfig(
        vtn_id=settings.id,
        poll_interval=timedelta(seconds=settings.poll_interval_seconds),
        policy=build_policy(settings.registration_policy, load_optional(settings.on_create_party_registration)),
        on_cancel_party_registration=load_optional(settings.on_cancel_party_registration),
        push_addresses=PushAddressPolicy.from_settings(settings),
        xmpp_address=settings.xmpp_address,
    )
    pool, relay = runtime.pool, runtime.relay
    runtime.consume(
        [topics.REGISTRATION_REQUESTS], IdempotentHandler(pool, SERVICE, RegisterPartyHandler(config), relay)
    )
    on_poll = load_optional(settings.on_poll)
    poll_hook = PollHook(on_poll, settings.id) if on_poll is not None else None
    poll_handler = PollHandler(pool, relay, f"{SERVICE}.poll", poll_hook)
    # A consumer fetch's polls take their messages in one statement, and its handout records are marked together.
    runtime.consume(
        [topics.POLL_REQUESTS],
        poll_handler,
        ".poll",
        batch_handler=PollBatches(pool, poll_handler, HandoutRecords(pool, relay)),
        max_records=POLL_REQUESTS_PER_FETCH,
    )

    async def purge_delivered() -> None:
        async with pool.acquire() as conn:
            await pending.purge_delivered(conn, DELIVERED_MESSAGE_RETENTION_DAYS)

    runtime.every(HOUSEKEEPING_SECONDS, purge_delivered, "purge_delivered_messages")
    commands = IdempotentHandler(pool, f"{SERVICE}.operator", OperatorCommands(config.push_addresses), relay)
    runtime.consume(
        [topics.REGISTRATION_COMMANDS], QueriesAndCommands(pool, QUERIES, handle_query, commands), ".operator"
    )


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)

"""Wires the console into the admin app: its credentials (also the admin API's), its API routes and pages,
the audit trail and the security headers around everything on the admin port."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from fastapi import APIRouter, FastAPI

from gateway.console.access import Authenticator, SessionPolicy, require
from gateway.console.api import console_api_router
from gateway.console.audit import AuditRecorder, AuditTrail
from gateway.console.fleet_feed import FACT_TOPICS, FleetFeed
from gateway.console.headers import SecurityHeaders
from gateway.console.operator_store import OperatorStore
from gateway.console.pages import pages_router
from gateway.console.queries import ServiceQueries
from gateway.console.rendering import Pages
from gateway.console.sign_in import sign_in_router
from gateway.exchange import Requester
from gateway.metrics import ASGIApp
from shared.bus.connection import KafkaConnection
from shared.bus.producer import BusProducer
from shared.db.access import database_access
from shared.db.outbox import OutboxRelay
from shared.db.pool import open_pool
from shared.settings import VtnSettings

log = logging.getLogger(__name__)

SESSION_PURGE_SECONDS = 600.0


class OperatorConsole:
    def __init__(
        self,
        pool: asyncpg.Pool,
        relay: OutboxRelay,
        requester: Requester,
        feed: FleetFeed,
        admin_token: str,
        policy: SessionPolicy,
        timeout_seconds: float,
    ) -> None:
        self.authenticator = Authenticator(OperatorStore(pool), admin_token, policy)
        self.authorize = require(self.authenticator)
        self._recorder = AuditRecorder(pool, relay)
        self._queries = ServiceQueries(requester, timeout_seconds)
        self._feed = feed
        self._pages = Pages()
        self.api_router: APIRouter = console_api_router(self.authenticator, self._queries, feed, self._recorder)
        self._purger: asyncio.Task[None] | None = None

    def install(self, app: FastAPI) -> ASGIApp:
        """Add the pages to the admin app; return the app wrapped in the audit trail and security headers."""
        app.include_router(sign_in_router(self.authenticator, self._pages))
        app.include_router(pages_router(self.authenticator, self._queries, self._feed, self._recorder, self._pages))
        return SecurityHeaders(AuditTrail(app, self._recorder))

    def close_streams(self) -> None:
        self._feed.close_streams()

    def start(self) -> None:
        self._purger = asyncio.create_task(self._purge_sessions(), name="console-session-purge")

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger

    async def _purge_sessions(self) -> None:
        while True:
            await asyncio.sleep(SESSION_PURGE_SECONDS)
            try:
                await self.authenticator.store.purge_expired_sessions(self.authenticator.policy.idle_seconds)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning(
                    "could not purge console sessions", extra={"action": "session_purge_failed", "error": repr(exc)}
                )


async def open_console(
    settings: VtnSettings,
    kafka: KafkaConnection,
    producer: BusProducer,
    requester: Requester,
    stack: contextlib.AsyncExitStack,
) -> OperatorConsole:
    """The console and what it owns (a database pool, an outbox relay for the audit records, the fleet feed),
    each closed by `stack` in reverse order."""
    pool = await open_pool(database_access(settings), settings.database_pool_min, settings.database_pool_max)
    stack.push_async_callback(pool.close)
    relay = OutboxRelay(pool, producer)
    relaying = asyncio.create_task(relay.run(), name="console-outbox-relay")

    async def stop_relay() -> None:
        await relay.stop()
        await relaying

    stack.push_async_callback(stop_relay)
    feed = FleetFeed(kafka, requester, settings.console_fleet_refresh_seconds, settings.reply_timeout_seconds)
    await feed.start({topic: await producer.partitions_of(topic) for topic in FACT_TOPICS})
    stack.push_async_callback(feed.stop)
    policy = SessionPolicy(
        idle_seconds=settings.console_session_idle_seconds,
        max_seconds=settings.console_session_max_seconds,
        secure_cookie=settings.console_secure_cookie,
    )
    console = OperatorConsole(
        pool, relay, requester, feed, settings.admin_token, policy, settings.reply_timeout_seconds
    )
    console.start()
    stack.push_async_callback(console.stop)
    return console

"""Runs the gateway's resources and its two HTTP servers in one event loop, and stops them in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from gateway.admin.api import create_admin_app
from gateway.connection_ledger import ConnectionLedger, ConnectionLimits
from gateway.connections import (
    ConnectionTimeouts,
    DoorGuard,
    guarded_protocol,
    max_connections_within_descriptor_limit,
)
from gateway.console.app import open_console
from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.handouts import HandoutReporter
from gateway.health import GatewayOperations
from gateway.late_replies import UndeliveredReporter
from gateway.oadr_http import create_oadr_app
from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_exchange import ProfileAExchange
from gateway.refusals import refusal_log
from gateway.routing import OADR_PATH_PREFIX, PROFILE_A_PATH
from gateway.security.setup import open_security
from gateway.sightings import SightingBatcher
from gateway.ven_changes import VenChangesListener
from gateway.waiting_polls import WaitingPolls
from shared import topics
from shared.bus.broker_access import check_broker_access
from shared.bus.connection import kafka_connection
from shared.bus.producer import BusProducer
from shared.bus.request_reply import RequestReplyClient, reply_partition_for
from shared.contract.envelope import ReplyAddress
from shared.gc_tuning import freeze_startup_heap
from shared.oadr_xml.schema import SCHEMA_2_0A, load_schema
from shared.settings import VtnSettings
from shared.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

POLL_CACHE_MAX_ENTRIES = 2_000_000
INVALIDATION_MEMORY_SECONDS = 60.0


class _SharedLoopServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the gateway (two servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_server(
    app: object,
    host: str,
    port: int,
    keepalive_seconds: float,
    guard: DoorGuard | None = None,
    tls_files: tuple[Path, Path] | None = None,
) -> _SharedLoopServer:
    """A uvicorn server; with a guard, its protocol runs TLS and the connection timeouts and caps; with
    `tls_files` (certificate, key) and no guard, it serves HTTPS without client certificates."""
    guarded: dict[str, Any] = {}
    if guard is not None:
        # the client's address is the TCP peer's: whom to trust for a forwarded certificate is the gateway's
        # own decision (VTN_TRUSTED_PROXIES), never uvicorn's X-Forwarded-For rewriting
        guarded = {"http": guarded_protocol(guard), "ws": "none", "proxy_headers": False}
    elif tls_files is not None:
        guarded = {"ssl_certfile": str(tls_files[0]), "ssl_keyfile": str(tls_files[1])}
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
        # VENs poll every few seconds: keep their connections open between polls (uvicorn's default is 5 s).
        timeout_keep_alive=int(keepalive_seconds),
        backlog=4096,
        lifespan="off",
        **guarded,
    )
    return _SharedLoopServer(config)


def _ven_door_guard(settings: VtnSettings, tls: ssl.SSLContext | None, refusals: ThrottledLog) -> DoorGuard:
    limits = ConnectionLimits.exempting(
        settings.trusted_proxy_list,
        max_connections=max_connections_within_descriptor_limit(settings.http_max_connections),
        max_per_client=settings.http_max_connections_per_client,
        max_per_address=settings.http_max_connections_per_address,
    )
    timeouts = ConnectionTimeouts(
        tls_handshake=settings.http_tls_handshake_timeout_seconds,
        request_headers=settings.http_request_header_timeout_seconds,
        request_body=settings.http_request_body_timeout_seconds,
    )
    return DoorGuard(ConnectionLedger(limits), timeouts, tls, refusals)


async def _forget_old_invalidations(cache: PollAnswerCache) -> None:
    while True:
        ticket = cache.ticket()
        await asyncio.sleep(INVALIDATION_MEMORY_SECONDS)
        cache.forget_invalidations_before(ticket)


async def serve(settings: VtnSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    schema = load_schema(settings.xsd_path)
    kafka = kafka_connection(settings)
    await check_broker_access(kafka)
    async with contextlib.AsyncExitStack() as stack:
        producer = BusProducer(kafka, client_id=f"gateway-{settings.instance_id}")
        await producer.start()
        stack.push_async_callback(producer.stop)

        reply_address = ReplyAddress(
            topic=topics.GATEWAY_REPLIES, partition=reply_partition_for(settings.instance_id, settings.reply_partitions)
        )
        requester = RequestReplyClient(producer, kafka, reply_address)
        await requester.start()
        stack.push_async_callback(requester.stop)
        undelivered = UndeliveredReporter(producer)
        requester.on_late_reply = undelivered
        stack.push_async_callback(undelivered.stop)

        cache = PollAnswerCache(ttl_seconds=settings.poll_cache_ttl_seconds, max_entries=POLL_CACHE_MAX_ENTRIES)
        changes = VenChangesListener(kafka, cache)
        await changes.start(await producer.partitions_of(topics.VEN_CHANGES))
        stack.push_async_callback(changes.stop)

        sightings = SightingBatcher(producer, settings.instance_id, settings.presence_flush_seconds)
        sightings_task = asyncio.create_task(sightings.run(), name="sightings")

        async def stop_sightings() -> None:
            await sightings.stop()
            await sightings_task

        stack.push_async_callback(stop_sightings)
        janitor = asyncio.create_task(_forget_old_invalidations(cache), name="invalidation-janitor")
        stack.callback(janitor.cancel)

        operations = GatewayOperations(producer, requester, changes, cache)
        refusals = refusal_log(settings.refusal_log_burst, settings.refusal_log_period_seconds)
        security = await open_security(settings, schema, stack, refusals)
        if security.fingerprints is not None:
            cache.also_invalidate.append(security.fingerprints.invalidate)
        exchange_settings = ExchangeSettings(
            reply_timeout_seconds=settings.reply_timeout_seconds, waiting_polls=WaitingPolls(settings.max_waiting_polls)
        )
        exchange = OadrExchange(
            requester,
            schema,
            cache,
            sightings,
            exchange_settings,
            security.security,
            HandoutReporter(producer),
            refusals,
        )
        profile_a = ProfileAExchange(
            requester,
            load_schema(SCHEMA_2_0A),
            cache,
            sightings,
            exchange_settings,
            security.security,
            HandoutReporter(producer),
            refusals,
        )
        console = await open_console(settings, kafka, producer, requester, stack)
        admin_app = create_admin_app(
            requester, console.authorize, settings.reply_timeout_seconds, more_routes=[console.api_router]
        )
        ven_door = _ven_door_guard(settings, security.ssl_context, refusals)
        operations.count_connections(ven_door.ledger)
        oadr_app = create_oadr_app(
            exchange, settings.max_body_bytes, security.identify, undelivered, security.refusals, profile_a
        )
        servers = [
            _http_server(
                operations.oadr_app(oadr_app),
                settings.http_host,
                settings.http_port,
                settings.http_keepalive_seconds,
                ven_door,
            ),
            _http_server(
                operations.admin_app(console.install(admin_app)),
                settings.admin_host,
                settings.admin_port,
                settings.http_keepalive_seconds,
                tls_files=settings.admin_tls_files,
            ),
        ]
        freeze_startup_heap()
        serving = [asyncio.create_task(server.serve(), name="http") for server in servers]
        operations.start()
        stack.push_async_callback(operations.stop)
        log.info(
            "gateway started",
            extra={
                "action": "gateway_started",
                "vtn_url": f"{security.scheme}://{settings.http_host}:{settings.http_port}{OADR_PATH_PREFIX}",
                "vtn_url_2_0a": f"{security.scheme}://{settings.http_host}:{settings.http_port}{PROFILE_A_PATH}",
                "admin_url": f"{'https' if settings.admin_tls_files else 'http'}://{settings.admin_host}:{settings.admin_port}/docs",
                "reply_partition": reply_address.partition,
            },
        )
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, *serving], return_when=asyncio.FIRST_COMPLETED)
        # Stop taking requests and finish in-flight ones; then the exit stack closes the bus in reverse order.
        operations.readiness.mark_stopping()
        console.close_streams()  # live fleet streams would hold the admin server open
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*serving, return_exceptions=True)
        stopper.cancel()
    log.info("gateway stopped", extra={"action": "gateway_stopped"})

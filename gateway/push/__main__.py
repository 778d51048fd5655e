"""Starts the pusher: `python -m gateway.push`. Wires settings -> resources -> the dispatcher and its consumer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from gateway.push.backoff import Backoff
from gateway.push.connections import ConnectionPools
from gateway.push.dispatcher import PushDispatcher
from gateway.push.handover import AnswerHandover
from gateway.push.heads import HeadReader
from gateway.push.http_push import HttpPushDeliverer
from gateway.push.lane import LaneTools
from gateway.push.push_tls import push_client_context
from gateway.push.reporting import DeliveryReporter
from gateway.security.setup import open_security
from gateway.sightings import SightingBatcher
from shared import topics
from shared.bus.request_reply import RequestReplyClient, reply_partition_for
from shared.bus.service_consumer import ServiceRules
from shared.contract.envelope import ReplyAddress
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.oadr_xml.schema import load_schema
from shared.push_addresses import IpAddress, PushAddressPolicy, own_addresses_of
from shared.runtime import ServiceRuntime, run_service

SERVICE = "gateway.push"
DRAIN_MARGIN_SECONDS = 5.0
# Its records are notices that a VEN's queue changed: none goes stale (a late one still names what waits).
RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS)


def local_addresses() -> frozenset[IpAddress]:
    """This host's own addresses as its name resolves (the pod's address on Kubernetes)."""
    try:
        _, _, found = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        return frozenset()
    return own_addresses_of(found)


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    schema = load_schema(settings.xsd_path)
    security = await open_security(settings, schema, runtime.stack, announce=False)
    instance = f"push-{settings.instance_id}"
    requester = RequestReplyClient(
        runtime.producer,
        runtime.kafka,
        ReplyAddress(topic=topics.GATEWAY_REPLIES, partition=reply_partition_for(instance, settings.reply_partitions)),
    )
    await requester.start()
    runtime.stack.push_async_callback(requester.stop)

    async def replies_read() -> None:
        requester.check_running()

    runtime.readiness.add_check("kafka:replies", replies_read)
    sightings = SightingBatcher(runtime.producer, instance, settings.presence_flush_seconds)
    runtime.run(sightings.run, sightings.stop)

    policy = PushAddressPolicy.from_settings(settings, local_addresses())
    connections = ConnectionPools(
        policy, push_client_context(settings), settings.push_connections_per_host, settings.push_idle_connection_seconds
    )
    deliverer = HttpPushDeliverer(
        connections, policy, schema, security.security, settings.push_max_answer_bytes, settings.push_timeout_seconds,
        security.fingerprints,
    )  # fmt: skip
    runtime.stack.push_async_callback(deliverer.close)
    backoff = Backoff(settings.push_retry_initial_seconds, settings.push_retry_max_seconds)
    heads = HeadReader(runtime.pool)
    handover = AnswerHandover(requester, settings.reply_timeout_seconds, backoff)
    reporter = DeliveryReporter(runtime.producer, sightings, backoff)
    in_flight = asyncio.Semaphore(settings.push_concurrency)

    def tools(owns: Callable[[str], bool]) -> LaneTools:
        return LaneTools(heads, deliverer, handover, reporter, backoff, settings.push_offline_after_seconds, in_flight, owns)

    dispatcher = PushDispatcher(
        runtime.pool,
        tools,
        settings.push_rescan_seconds,
        drain_seconds=settings.push_timeout_seconds + DRAIN_MARGIN_SECONDS,
        housekeeping=connections.close_idle,
        forget_binding=security.fingerprints.invalidate if security.fingerprints is not None else None,
    )
    consumer = runtime.consume([topics.VEN_CHANGES], dispatcher.on_notice, max_records=1000)
    consumer.watch_assignment(topics.VEN_CHANGES, dispatcher.assign)
    runtime.run(dispatcher.run, dispatcher.stop)


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)

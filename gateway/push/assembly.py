"""Assembles a deliverer's process around its VenDeliverer: the bus tools (a request-reply client answering on
a gateway reply partition, a sighting batcher) and the lanes (heads, handover, delivery records, backoff,
the dispatcher following oadr.ven.changes.v1). The pusher (gateway.push) and the XMPP connector
(gateway.xmpp) are both built this way; only the deliverer, the transport and the lock base differ."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from gateway.push.backoff import Backoff
from gateway.push.deliverer import VenDeliverer
from gateway.push.dispatcher import PushDispatcher
from gateway.push.handover import AnswerHandover
from gateway.push.heads import HeadReader
from gateway.push.lane import LaneTools
from gateway.push.reporting import DeliveryReporter
from gateway.sightings import SightingBatcher
from shared import topics
from shared.bus.request_reply import RequestReplyClient, reply_partition_for
from shared.bus.service_consumer import ServiceRules
from shared.contract.envelope import ReplyAddress
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.runtime import ServiceRuntime

DRAIN_MARGIN_SECONDS = 5.0
# The lanes' records are notices that a VEN's queue changed: none goes stale (a late one still names what waits).
LANE_RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS)


@dataclass(frozen=True)
class BusTools:
    requester: RequestReplyClient
    sightings: SightingBatcher


async def open_bus_tools(runtime: ServiceRuntime, instance: str) -> BusTools:
    """A request-reply client (started, stopped by the runtime's stack) and a running sighting batcher."""
    settings = runtime.settings
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
    return BusTools(requester, sightings)


def start_lanes(
    runtime: ServiceRuntime,
    bus: BusTools,
    deliverer: VenDeliverer,
    *,
    transport: str,
    lock_base: int,
    housekeeping: Callable[[], object] | None = None,
    forget_binding: Callable[[str], None] | None = None,
) -> tuple[PushDispatcher, DeliveryReporter]:
    """The dispatcher delivering to this transport's VENs of the partitions this instance holds, running."""
    settings = runtime.settings
    backoff = Backoff(settings.push_retry_initial_seconds, settings.push_retry_max_seconds)
    heads = HeadReader(runtime.pool, transport)
    handover = AnswerHandover(bus.requester, settings.reply_timeout_seconds, backoff)
    reporter = DeliveryReporter(runtime.producer, bus.sightings, backoff)
    in_flight = asyncio.Semaphore(settings.push_concurrency)

    def tools(owns: Callable[[str], bool]) -> LaneTools:
        return LaneTools(
            heads, deliverer, handover, reporter, backoff, settings.push_offline_after_seconds, in_flight, owns
        )

    dispatcher = PushDispatcher(
        runtime.pool,
        tools,
        settings.push_rescan_seconds,
        drain_seconds=settings.push_timeout_seconds + DRAIN_MARGIN_SECONDS,
        housekeeping=housekeeping,
        forget_binding=forget_binding,
        transport=transport,
        lock_base=lock_base,
    )
    consumer = runtime.consume([topics.VEN_CHANGES], dispatcher.on_notice, max_records=1000)
    consumer.watch_assignment(topics.VEN_CHANGES, dispatcher.assign)
    runtime.run(dispatcher.run, dispatcher.stop)
    return dispatcher, reporter

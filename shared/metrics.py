"""The Prometheus metrics every VTN process exposes on `/metrics`, defined once.

Names follow Prometheus conventions (`_total` counters, `_seconds` histograms); labels are bounded sets
(endpoint names, topics, consumer groups, outcomes), never VEN ids. The gateway's HTTP metrics live in
gateway/metrics.py: the poll path keeps them as plain integers, read by a collector at scrape time.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

log = logging.getLogger(__name__)

# `_created` series double the exposition and no dashboard of ours reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

__all__ = [
    "CONTENT_TYPE_LATEST",
    "EVENT_LOOP_LAG",
    "HANDLER_ERRORS",
    "HANDLER_LATENCY",
    "KAFKA_CONSUMED",
    "KAFKA_CONSUMER_LAG",
    "KAFKA_PRODUCED",
    "LATENCY_BUCKETS",
    "REPORT_DATA_LANES",
    "REPORT_REQUEST_RESENDS",
    "EVENT_SET_RESENDS",
    "UNDELIVERED_PENDING",
    "VENS_ONLINE",
    "EventLoopLagMonitor",
    "render_metrics",
]

# Requests answered in well under a millisecond (cached polls) up to the reply timeout (seconds).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOOP_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

KAFKA_PRODUCED = Counter(
    "vtn_kafka_produced_total", "Records produced, by topic and result (ok, failed)", ["topic", "result"]
)
KAFKA_CONSUMED = Counter(
    "vtn_kafka_consumed_total", "Records consumed and handled, by topic and consumer group", ["topic", "group"]
)
KAFKA_CONSUMER_LAG = Gauge(
    "vtn_kafka_consumer_lag",
    "Records on the partition not yet handled by this consumer (high watermark - next offset)",
    ["topic", "partition", "group"],
)
HANDLER_LATENCY = Histogram(
    "vtn_handler_duration_seconds",
    "Time to handle one consumed record (retries included), by consumer group",
    ["group"],
    buckets=LATENCY_BUCKETS,
)
HANDLER_ERRORS = Counter(
    "vtn_handler_errors_total",
    "Handler failures by consumer group and kind (transient: retried; failed: an attempt raised; "
    "dead_lettered: parked on the dead-letter topic; undecodable: not an envelope; stale: a VEN request "
    "skipped because the gateway's reply timeout had passed)",
    ["group", "kind"],
)
VENS_ONLINE = Gauge("vtn_vens_online", "VENs currently online (presence_svc, from the database)")
REPORT_DATA_LANES = Gauge(
    "vtn_report_data_lanes", "Lanes (partitions) of oadr.report.data.v1 this report_svc instance publishes"
)
REPORT_REQUEST_RESENDS = Counter(
    "vtn_report_request_resends_total",
    "oadrCreateReport, oadrCancelReport, oadrRegisterReport and oadrUpdateReport messages a VEN did not confirm, "
    "by message and outcome (sent_again; gave_up: sent again as often as allowed, then marked unconfirmed)",
    ["message", "outcome"],
)
EVENT_SET_RESENDS = Counter(
    "vtn_event_set_resends_total",
    "Event sets (oadrDistributeEvent) sent again because the VEN had not answered events in them, by outcome "
    "(sent_again; gave_up: sent again as often as allowed, then left unanswered)",
    ["outcome"],
)
UNDELIVERED_PENDING = Counter(
    "vtn_undelivered_pending_total",
    "Pending messages a poll took that the VEN never got (the answer reached the gateway after it had answered "
    "503, or the VEN had closed its connection), by outcome: at the gateway reported (put-back asked of "
    "registration_svc) or unreported (Kafka refused it); at registration_svc returned (queued again), overtaken "
    "(a later message had already gone out: the VTN's confirmation resends cover it), kept (its delivery ended "
    "the registration) or not_taken (nothing to put back)",
    ["outcome"],
)
EVENT_LOOP_LAG = Histogram(
    "vtn_event_loop_lag_seconds",
    "How late the event loop woke a timer: time other work held the loop",
    buckets=LOOP_LAG_BUCKETS,
)


def render_metrics() -> bytes:
    """The text exposition of every metric in this process."""
    return generate_latest(REGISTRY)


class EventLoopLagMonitor:
    """Sleeps `interval` seconds at a time and records how much later than asked it woke up."""

    def __init__(self, interval: float = 0.5) -> None:
        self._interval = interval
        self.last_lag = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self._interval
            await asyncio.sleep(self._interval)
            self.last_lag = max(0.0, loop.time() - expected)
            EVENT_LOOP_LAG.observe(self.last_lag)

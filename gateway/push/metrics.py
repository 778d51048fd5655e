"""The pusher's Prometheus metrics (on its /metrics, VTN_HEALTH_PORT). Labels are bounded: message types and
outcomes, never venIDs; the backlog of one VEN is in the admin API (`pending_messages`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from shared.metrics import LATENCY_BUCKETS

PUSHES = Counter(
    "vtn_push_deliveries_total",
    "Pushes by message type and outcome: delivered (the VEN answered), ven_error (it answered with an OpenADR "
    "error: delivered all the same), or why the push failed and will be retried (address_refused, connect, tls, "
    "timeout, http_error, too_large, bad_answer, security_refused, ven_busy, internal_error), or not_in_profile "
    "(no form in the VEN's profile: settled without being sent)",
    ["message", "outcome"],
)
PUSH_DURATION = Histogram(
    "vtn_push_duration_seconds",
    "From the POST to the VEN's complete answer (connection set-up included), by message type",
    ["message"],
    buckets=LATENCY_BUCKETS,
)
PUSH_RETRIES = Counter("vtn_push_retries_total", "Pushes attempted again after a failure, by message type", ["message"])
HANDOVER_RETRIES = Counter(
    "vtn_push_handover_retries_total",
    "Attempts to hand a VEN's answer to its service made again (the service did not answer in time, or Kafka "
    "refused the request)",
)
BACKLOG = Gauge("vtn_push_backlog_messages", "Messages waiting for the push VENs this instance delivers to")
BACKLOG_MAX = Gauge(
    "vtn_push_backlog_max_messages", "The longest queue of one push VEN this instance delivers to (messages)"
)
VENS_WAITING = Gauge("vtn_push_vens_waiting", "Push VENs of this instance with messages waiting")
VENS_FAILING = Gauge("vtn_push_vens_failing", "Push VENs of this instance whose last push failed (being retried)")
VENS_UNREACHABLE = Gauge(
    "vtn_push_vens_unreachable",
    "Push VENs of this instance every push to which has failed for longer than VTN_PUSH_OFFLINE_AFTER_SECONDS",
)
IN_FLIGHT = Gauge("vtn_push_in_flight", "Pushes under way (POST sent, answer not yet in) in this instance")
LANES_HELD = Gauge("vtn_push_lanes", "Partitions of oadr.ven.changes.v1 whose push VENs this instance delivers to")

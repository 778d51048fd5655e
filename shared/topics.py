"""Every Kafka topic of the VTN, named once: `oadr.<domain>.<kind>.v<version>`.

Requests flow from the gateway to a service's consumer group; replies flow back to the partition of
`GATEWAY_REPLIES` that the asking gateway instance reads. Topics under "for backends" are the public
contract: JSON documents of the models in `shared.contract`.
"""

from __future__ import annotations

# Gateway -> services (VEN requests, keyed by venID so one VEN's requests stay ordered)
REGISTRATION_REQUESTS = "oadr.registration.requests.v1"
EVENT_REQUESTS = "oadr.event.requests.v1"
REPORT_REQUESTS = "oadr.report.requests.v1"
OPT_REQUESTS = "oadr.opt.requests.v1"
POLL_REQUESTS = "oadr.poll.requests.v1"  # also the gateways' records of handed-out pending messages

# Services -> gateway instances: replies, and "ask me again" notices for the gateway's poll answers
GATEWAY_REPLIES = "oadr.gateway.replies.v1"
VEN_CHANGES = "oadr.ven.changes.v1"

# Gateway -> presence_svc: batches of polls the gateway answered
PRESENCE_OBSERVATIONS = "oadr.presence.observations.v1"

# For backends (the public contract)
REGISTRATION_EVENTS = "oadr.registration.events.v1"
PRESENCE_EVENTS = "oadr.presence.events.v1"
REPORT_DATA = "oadr.report.data.v1"
EVENT_RESPONSES = "oadr.event.responses.v1"
OPT_EVENTS = "oadr.opt.events.v1"
OPERATOR_AUDIT = "oadr.operator.audit.v1"  # every change an operator made, with who made it

# From backends and the admin API: operator commands
REGISTRATION_COMMANDS = "oadr.registration.commands.v1"
REPORT_COMMANDS = "oadr.report.commands.v1"
EVENT_COMMANDS = "oadr.event.commands.v1"

# Records a consumer could not handle after retries, with the reason in a header
DEAD_LETTERS = "oadr.deadletter.v1"

ALL_TOPICS = (
    REGISTRATION_REQUESTS,
    EVENT_REQUESTS,
    REPORT_REQUESTS,
    OPT_REQUESTS,
    POLL_REQUESTS,
    GATEWAY_REPLIES,
    VEN_CHANGES,
    PRESENCE_OBSERVATIONS,
    REGISTRATION_EVENTS,
    PRESENCE_EVENTS,
    REGISTRATION_COMMANDS,
    DEAD_LETTERS,
    REPORT_DATA,
    REPORT_COMMANDS,
    EVENT_COMMANDS,
    EVENT_RESPONSES,
    OPT_EVENTS,
    OPERATOR_AUDIT,
)

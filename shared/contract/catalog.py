"""Which payload kinds travel on which topic, who produces and who consumes them: the source of the
AsyncAPI document (`python -m shared.contract.asyncapi`).

Kinds are named by their `kind` tag, resolved against the `Payload` union, so this module imports no
payload model. A topic missing here still appears in the document, as "any envelope", until it gets
an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared import topics


class Audience(str, Enum):
    BACKEND = "backend"  # part of the public contract: backends consume or produce here
    INTERNAL = "internal"  # between the VTN's own processes; readable, but may change with the VTN


@dataclass(frozen=True)
class TopicContract:
    summary: str
    audience: Audience
    kinds: tuple[str, ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    key: str = "the venID (absent before a VEN has one)"


CATALOG: dict[str, TopicContract] = {
    topics.REGISTRATION_REQUESTS: TopicContract(
        "EiRegisterParty requests of VENs (query, create, cancel registration), and push VENs' answers to the"
        " VTN's pushed oadrCancelPartyRegistration and oadrRequestReregistration",
        Audience.INTERNAL, ("ven_request",), ("gateway", "gateway.push"), ("registration_svc",),
    ),
    topics.POLL_REQUESTS: TopicContract(
        "oadrPoll requests the gateway could not answer from its cache, the pending messages a gateway handed"
        " out itself (on the VEN's key, so registration_svc records a handout before it sees that VEN's next poll),"
        " and the ones a poll took whose answer came after the gateway had answered 503 (put back in the queue);"
        " the pusher's records of messages a push VEN got and answered",
        Audience.INTERNAL, ("ven_request", "pending_delivered", "pending_undelivered"), ("gateway", "gateway.push"),
        ("registration_svc",),
    ),
    topics.EVENT_REQUESTS: TopicContract(
        "EiEvent requests of VENs (oadrRequestEvent, oadrCreatedEvent)",
        Audience.INTERNAL, ("ven_request",), ("gateway",), ("event_svc",),
    ),
    topics.OPT_REQUESTS: TopicContract(
        "EiOpt requests of VENs (oadrCreateOpt, oadrCancelOpt)",
        Audience.INTERNAL, ("ven_request",), ("gateway",), ("event_svc",),
    ),
    topics.REPORT_REQUESTS: TopicContract(
        "EiReport requests of VENs, and push VENs' answers to the VTN's pushed EiReport messages",
        Audience.INTERNAL, ("ven_request",), ("gateway", "gateway.push"), ("report_svc",),
    ),
    topics.GATEWAY_REPLIES: TopicContract(
        "Replies to the gateway instance that asked, on the partition named in its request's reply_to",
        Audience.INTERNAL,
        ("ven_reply", "operator_outcome", "ven_list", "ven_counts", "presence_history", "available_reports",
         "report_outcome", "report_data_page", "vtn_report_catalog", "vtn_report_outcome", "event_outcome",
         "event_counts"),
        ("registration_svc", "event_svc", "report_svc"),
        ("gateway", "gateway.push"),
        key="the venID of the request",
    ),
    topics.VEN_CHANGES: TopicContract(
        "A VEN's pending messages or registration changed: every gateway drops its cached poll answer, or "
        "caches the VEN's only pending message as its next poll's answer (for many VENs of one event set at once:"
        " event_set_handouts, keyed by its first recipient, every recipient's key on the same partition); for a"
        " push VEN, the pusher owning its partition (consumer group vtn.gateway.push) delivers what waits",
        Audience.INTERNAL, ("ven_changed", "event_set_handouts"),
        ("registration_svc", "event_svc", "report_svc", "presence_svc"), ("gateway", "gateway.push"),
    ),
    topics.PRESENCE_OBSERVATIONS: TopicContract(
        "Batches of VENs seen alive (successful requests, answered pushes), once a second per gateway and"
        " pusher; push VENs a pusher could not reach for VTN_PUSH_OFFLINE_AFTER_SECONDS (ven_unreachable)",
        Audience.INTERNAL, ("polls_observed", "ven_unreachable"), ("gateway", "gateway.push"), ("presence_svc",),
        key="none (the venID for ven_unreachable)",
    ),
    topics.REGISTRATION_EVENTS: TopicContract(
        "Facts about VEN registrations: created, reregistered, cancelled, cancel_requested, "
        "reregistration_requested, provisioned",
        Audience.BACKEND, ("registration_event",), ("registration_svc",), ("backends", "report_svc"),
    ),
    topics.PRESENCE_EVENTS: TopicContract(
        "A VEN came online or went offline (decided once, by the database row)",
        Audience.BACKEND, ("presence_event",), ("presence_svc",), ("backends", "presence_svc"),
    ),
    topics.REGISTRATION_COMMANDS: TopicContract(
        "Operator commands on VENs; the outcome goes to reply_to when the command carries one",
        Audience.BACKEND,
        ("provision_ven", "cancel_ven_registration", "request_ven_reregistration", "list_vens", "get_ven",
         "count_vens", "list_presence_history"),
        ("backends", "gateway admin API"),
        ("registration_svc",),
    ),
    topics.REPORT_DATA: TopicContract(
        "Report data VENs sent: one record per interval and rID, exactly once and in the VEN's order",
        Audience.BACKEND, ("report_data",), ("report_svc",), ("backends",),
    ),
    topics.REPORT_COMMANDS: TopicContract(
        "Report commands and queries: VENs' reports (list, request, cancel, query data) and the VTN's own "
        "(republish its METADATA, list it, list VENs' requests); the outcome goes to reply_to when given",
        Audience.BACKEND,
        ("list_available_reports", "list_report_requests", "request_report", "cancel_report_request",
         "query_report_data", "publish_vtn_reports", "list_vtn_reports", "list_vtn_report_requests"),
        ("backends", "gateway admin API"),
        ("report_svc",),
        key="the venID (none for commands about every VEN)",
    ),
    topics.EVENT_COMMANDS: TopicContract(
        "Event commands (create, modify, cancel, purge, VEN memberships) and queries; the outcome goes to "
        "reply_to when the command carries one",
        Audience.BACKEND,
        ("create_event", "create_events", "modify_event", "cancel_event", "purge_event", "set_ven_memberships",
         "get_event", "list_events", "list_opts", "get_ven_memberships", "count_events"),
        ("backends", "gateway admin API"),
        ("event_svc",),
        key="the eventID (the venID for set_ven_memberships; none for create_events)",
    ),
    topics.EVENT_RESPONSES: TopicContract(
        "VENs' optIn/optOut answers to events (oadrCreatedEvent), with the effective opt after oadrCreateOpt",
        Audience.BACKEND, ("event_response",), ("event_svc",), ("backends", "event_svc"),
    ),
    topics.OPT_EVENTS: TopicContract(
        "VENs' opt schedules and event opts (oadrCreateOpt, oadrCancelOpt): created, replaced, cancelled",
        Audience.BACKEND, ("opt_change",), ("event_svc",), ("backends",),
    ),
    topics.OPERATOR_AUDIT: TopicContract(
        "Every change an operator made through the admin API or the console, and every sign-in: who (name, role,"
        " token or session), what (method and route, target, request body without secrets) and the HTTP status",
        Audience.BACKEND, ("operator_action",), ("gateway",), ("backends",), key="none",
    ),
    topics.DEAD_LETTERS: TopicContract(
        "Records a consumer could not handle: the original key, value and headers, plus dead_letter_reason, "
        "original_topic and consumer_group headers (the value may not be an envelope at all)",
        Audience.BACKEND, (), ("every consumer",), ("operators",), key="the original record's key",
    ),
}  # fmt: skip

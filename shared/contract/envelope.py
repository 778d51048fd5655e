"""The one envelope every Kafka record carries, and its (de)serialization.

`key` is the Kafka record key: the venID for a VEN's traffic (so one VEN's records stay in order on one
partition), the eventID for a command about one event, none for a record about no one in particular.
`ven_id` names the VEN the record is about, and only a VEN. Headers repeat the routing fields (type,
correlation id, reply address) so that a router can act without decoding.

Version 2 added `key`. On the wire it is left out when it equals `ven_id` (all VEN traffic), so those records
are the documents version 1 wrote, but for `schema_version`, and instances of the previous release read them
during a rolling upgrade. Version 1 records (in flight, or from backends not upgraded yet) are still read:
their `ven_id` was the record key, an eventID for the commands in `KEYED_BY_EVENT_ID_IN_VERSION_1`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from pydantic import Field, TypeAdapter, model_validator

from shared.contract.audit import OperatorAction
from shared.contract.backend_events import PollsObserved, PresenceEvent, RegistrationEvent, VenUnreachable
from shared.contract.events import (
    CancelEvent,
    CountEvents,
    CreateEvent,
    CreateEvents,
    EventCounts,
    EventOutcome,
    EventResponseFact,
    GetEvent,
    GetVenMemberships,
    ListEvents,
    ListOpts,
    ModifyEvent,
    OptFact,
    PurgeEvent,
    SetVenMemberships,
)
from shared.contract.operator import (
    CancelVenRegistration,
    CountVens,
    GetVen,
    ListPresenceHistory,
    ListVens,
    OperatorOutcome,
    PresenceHistory,
    ProvisionVen,
    RequestVenReregistration,
    VenCounts,
    VenList,
)
from shared.contract.reports import (
    AvailableReports,
    CancelReportRequest,
    ListAvailableReports,
    ListReportRequests,
    QueryReportData,
    ReportData,
    ReportDataPage,
    ReportOutcome,
    RequestReport,
)
from shared.contract.ven_traffic import (
    ContractModel,
    EventSetHandouts,
    PendingDelivered,
    PendingUndelivered,
    VenChanged,
    VenReply,
    VenRequest,
)
from shared.contract.vtn_reports import (
    ListVtnReportRequests,
    ListVtnReports,
    PublishVtnReports,
    VtnReportCatalog,
    VtnReportOutcome,
)

SCHEMA_VERSION = 2
# Kinds whose version-1 envelopes carried their eventID (the record key) as `ven_id`.
KEYED_BY_EVENT_ID_IN_VERSION_1 = frozenset({"create_event", "modify_event", "cancel_event", "purge_event", "get_event"})

Payload: TypeAlias = Annotated[
    VenRequest
    | VenReply
    | VenChanged
    | EventSetHandouts
    | PendingDelivered
    | PendingUndelivered
    | PollsObserved
    | VenUnreachable
    | RegistrationEvent
    | PresenceEvent
    | ProvisionVen
    | CancelVenRegistration
    | RequestVenReregistration
    | ListVens
    | GetVen
    | OperatorOutcome
    | VenList
    | CountVens
    | VenCounts
    | ListPresenceHistory
    | PresenceHistory
    | ReportData
    | ListAvailableReports
    | AvailableReports
    | RequestReport
    | CancelReportRequest
    | ListReportRequests
    | ReportOutcome
    | QueryReportData
    | ReportDataPage
    | PublishVtnReports
    | ListVtnReports
    | VtnReportCatalog
    | ListVtnReportRequests
    | VtnReportOutcome
    | CreateEvent
    | CreateEvents
    | ModifyEvent
    | CancelEvent
    | PurgeEvent
    | SetVenMemberships
    | GetEvent
    | ListEvents
    | ListOpts
    | EventOutcome
    | EventResponseFact
    | OptFact
    | GetVenMemberships
    | CountEvents
    | EventCounts
    | OperatorAction,
    Field(discriminator="kind"),
]


class ReplyAddress(ContractModel):
    """Where the asker reads replies: one partition of one topic."""

    topic: str
    partition: int

    def header_value(self) -> bytes:
        return f"{self.topic}:{self.partition}".encode()

    @classmethod
    def from_header_value(cls, raw: bytes) -> ReplyAddress:
        topic, _, partition = raw.decode().rpartition(":")
        return cls(topic=topic, partition=int(partition))


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def _kind_of(payload: Any) -> Any:
    return payload.get("kind") if isinstance(payload, dict) else getattr(payload, "kind", None)


class Envelope(ContractModel):
    """`message_id` is the idempotency key: a redelivered record has the same one. `key` defaults to `ven_id`."""

    message_id: str = Field(default_factory=new_id)
    correlation_id: str = Field(default_factory=new_id)
    schema_version: int = SCHEMA_VERSION
    key: str | None = Field(
        default=None,
        description="The Kafka record key: the venID for a VEN's traffic, the eventID for a command about one event, "
        "none for a record about no one in particular; left out when it is `ven_id`.",
    )
    ven_id: str | None = Field(default=None, description="The VEN the record is about (a venID, never anything else).")
    created_at: datetime = Field(default_factory=utcnow)
    reply_to: ReplyAddress | None = None
    payload: Payload

    @model_validator(mode="before")
    @classmethod
    def _keyed(cls, data: Any) -> Any:
        """The key of a document that leaves it out (it is the venID); a version-1 document as this version's."""
        if not isinstance(data, dict):
            return data
        if data.get("schema_version") == 1:
            ven_id = data.get("ven_id")
            if _kind_of(data.get("payload")) in KEYED_BY_EVENT_ID_IN_VERSION_1:
                return {**data, "schema_version": SCHEMA_VERSION, "key": ven_id, "ven_id": None}
            return {**data, "schema_version": SCHEMA_VERSION, "key": ven_id}
        if data.get("key") is None:
            return {**data, "key": data.get("ven_id")}
        return data

    @property
    def type(self) -> str:
        return self.payload.kind

    def kafka_key(self) -> bytes | None:
        return self.key.encode() if self.key is not None else None

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [("type", self.type.encode()), ("correlation_id", self.correlation_id.encode())]
        if self.reply_to is not None:
            headers.append(("reply_to", self.reply_to.header_value()))
        return headers

    def to_bytes(self) -> bytes:
        """The record's value; `key` is left out when it is `ven_id` (readable by the previous version)."""
        return self.model_dump_json(exclude={"key"} if self.key == self.ven_id else None).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    def reply(self, payload: ContractModel) -> Envelope:
        """An envelope answering this one: same correlation id, key and VEN, no reply address."""
        return Envelope(correlation_id=self.correlation_id, key=self.key, ven_id=self.ven_id, payload=payload)  # type: ignore[arg-type]


PAYLOAD_ADAPTER: TypeAdapter[Payload] = TypeAdapter(Payload)

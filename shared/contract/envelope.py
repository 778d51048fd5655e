"""The one envelope every Kafka record carries, and its (de)serialization.

The record key is the VEN id (so one VEN's records stay in order on one partition); headers repeat
the routing fields (type, correlation id, reply address) so that a router can act without decoding.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, TypeAlias, Union

from pydantic import Field, TypeAdapter

from shared.contract.audit import OperatorAction
from shared.contract.backend_events import PollsObserved, PresenceEvent, RegistrationEvent, VenUnreachable
from shared.contract.events import (
    CancelEvent,
    CountEvents,
    CreateEvent,
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

SCHEMA_VERSION = 1

Payload: TypeAlias = Annotated[
    Union[
        VenRequest,
        VenReply,
        VenChanged,
        EventSetHandouts,
        PendingDelivered,
        PendingUndelivered,
        PollsObserved,
        VenUnreachable,
        RegistrationEvent,
        PresenceEvent,
        ProvisionVen,
        CancelVenRegistration,
        RequestVenReregistration,
        ListVens,
        GetVen,
        OperatorOutcome,
        VenList,
        CountVens,
        VenCounts,
        ListPresenceHistory,
        PresenceHistory,
        ReportData,
        ListAvailableReports,
        AvailableReports,
        RequestReport,
        CancelReportRequest,
        ListReportRequests,
        ReportOutcome,
        QueryReportData,
        ReportDataPage,
        PublishVtnReports,
        ListVtnReports,
        VtnReportCatalog,
        ListVtnReportRequests,
        VtnReportOutcome,
        CreateEvent,
        ModifyEvent,
        CancelEvent,
        PurgeEvent,
        SetVenMemberships,
        GetEvent,
        ListEvents,
        ListOpts,
        EventOutcome,
        EventResponseFact,
        OptFact,
        GetVenMemberships,
        CountEvents,
        EventCounts,
        OperatorAction,
    ],
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
    return datetime.now(timezone.utc)


class Envelope(ContractModel):
    """`message_id` is the idempotency key: a redelivered record has the same one."""

    message_id: str = Field(default_factory=new_id)
    correlation_id: str = Field(default_factory=new_id)
    schema_version: int = SCHEMA_VERSION
    ven_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    reply_to: ReplyAddress | None = None
    payload: Payload

    @property
    def type(self) -> str:
        return self.payload.kind

    def kafka_key(self) -> bytes | None:
        return self.ven_id.encode() if self.ven_id is not None else None

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [("type", self.type.encode()), ("correlation_id", self.correlation_id.encode())]
        if self.reply_to is not None:
            headers.append(("reply_to", self.reply_to.header_value()))
        return headers

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    def reply(self, payload: ContractModel) -> Envelope:
        """An envelope answering this one: same correlation id and VEN, no reply address."""
        return Envelope(correlation_id=self.correlation_id, ven_id=self.ven_id, payload=payload)  # type: ignore[arg-type]


PAYLOAD_ADAPTER: TypeAdapter[Payload] = TypeAdapter(Payload)

"""Events for backends and operators: commands that create, modify, cancel and purge events, the queries
that list them, and the facts published when VENs answer (oadrCreatedEvent) or opt (oadrCreateOpt).

Commands go to `oadr.event.commands.v1`; with a reply address they are answered with an `EventOutcome`
(status 404 when a venID they name, in new targets, a membership change or a query, is not known).
VENs' answers are published on `oadr.event.responses.v1` (`event_response`), opt schedules on
`oadr.opt.events.v1` (`opt_change`), keyed by venID.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from pydantic import Field

from shared.contract.outcome import Outcome
from shared.contract.ven_traffic import ContractModel
from shared.oadr.event import ActivePeriod, Event, EventStatus, ResponseRequired
from shared.oadr.opt import CreateOpt, OptType
from shared.oadr.signal import EventBaseline, EventSignal
from shared.oadr.target import Target

EventId = str
DEFAULT_MARKET_CONTEXT = "http://MarketContext1"


class CreateEvent(ContractModel):
    """A new event. The VTN assigns `event_id` when absent, modificationNumber 0 and createdDateTime."""

    kind: Literal["create_event"] = "create_event"
    event_id: str | None = Field(default=None, min_length=1, max_length=256)
    market_context: str = Field(default=DEFAULT_MARKET_CONTEXT, min_length=1)
    priority: int | None = Field(default=None, ge=0, le=2**32 - 1)
    test_event: bool = False
    vtn_comment: str | None = None
    active_period: ActivePeriod
    signals: tuple[EventSignal, ...] = Field(min_length=1)
    baseline: EventBaseline | None = None
    targets: Target
    response_required: ResponseRequired = ResponseRequired.ALWAYS


class CreateEvents(ContractModel):
    """Several new events at once (a program-wide dispatch): all created in one transaction, or none when one
    of them cannot be (the refusal names it by its position), and delivered in one fan-out round."""

    kind: Literal["create_events"] = "create_events"
    events: tuple[CreateEvent, ...] = Field(min_length=1)


class ModifyEvent(ContractModel):
    """Change an event: every field given replaces the current one; modificationNumber grows by one."""

    kind: Literal["modify_event"] = "modify_event"
    event_id: str
    modification_reason: str | None = None
    priority: int | None = Field(default=None, ge=0, le=2**32 - 1)
    test_event: bool | None = None
    vtn_comment: str | None = None
    active_period: ActivePeriod | None = None
    signals: tuple[EventSignal, ...] | None = Field(default=None, min_length=1)
    baseline: EventBaseline | None = None
    targets: Target | None = None
    response_required: ResponseRequired | None = None


class CancelEvent(ContractModel):
    """Cancel an event: eventStatus cancelled, modificationNumber + 1, delivered like any change."""

    kind: Literal["cancel_event"] = "cancel_event"
    event_id: str
    modification_reason: str | None = None


class PurgeEvent(ContractModel):
    """Remove an event altogether: it leaves every VEN's set (the VEN takes that as a cancellation)."""

    kind: Literal["purge_event"] = "purge_event"
    event_id: str


class SetVenMemberships(ContractModel):
    """Replace the groups, resources and parties a VEN belongs to (targeting by groupID, resourceID, partyID)."""

    kind: Literal["set_ven_memberships"] = "set_ven_memberships"
    ven_id: str
    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()


class GetEvent(ContractModel):
    kind: Literal["get_event"] = "get_event"
    event_id: str


class ListEvents(ContractModel):
    """Events, newest first; `ven_id`: those targeting that VEN; `status`: those in that status now."""

    kind: Literal["list_events"] = "list_events"
    ven_id: str | None = None
    status: EventStatus | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class GetVenMemberships(ContractModel):
    """The groups, resources and parties a VEN belongs to (answered with `EventOutcome.memberships`)."""

    kind: Literal["get_ven_memberships"] = "get_ven_memberships"
    ven_id: str


class CountEvents(ContractModel):
    """How many events are far, near and active now (answered with `EventCounts`)."""

    kind: Literal["count_events"] = "count_events"


class EventCounts(ContractModel):
    """Events by the eventStatus VENs get at `as_of` (statuses with no event are absent)."""

    kind: Literal["event_counts"] = "event_counts"
    as_of: datetime
    by_status: dict[EventStatus, int]


class ListOpts(ContractModel):
    kind: Literal["list_opts"] = "list_opts"
    ven_id: str | None = None
    event_id: str | None = None


class AnswerSource(str, Enum):
    CREATED_EVENT = "created_event"
    OPT = "opt"


class VenAnswer(ContractModel):
    """Where one targeted VEN stands on an event: `opt_type` None means it has not answered (yet)."""

    ven_id: str
    opt_type: OptType | None = None
    modification_number: int | None = None
    source: AnswerSource | None = None
    answered_at: datetime | None = None


class EventView(ContractModel):
    """An event as VENs get it now (eventStatus and currentValue as of `as_of`), and who answered what (in the
    answer to GetEvent and ListEvents; the outcome of a change leaves `answers` empty)."""

    event: Event
    as_of: datetime
    answers: tuple[VenAnswer, ...] = ()

    @property
    def event_id(self) -> str:
        return self.event.descriptor.event_id


class OptView(ContractModel):
    opt: CreateOpt
    cancelled_at: datetime | None = None
    updated_at: datetime


class MembershipView(ContractModel):
    ven_id: str
    group_ids: tuple[str, ...]
    resource_ids: tuple[str, ...]
    party_ids: tuple[str, ...]


class EventOutcome(Outcome):
    """Result of an event command or query; `status` uses HTTP semantics (200, 201, 404, 409, 422...)."""

    kind: Literal["event_outcome"] = "event_outcome"
    events: tuple[EventView, ...] = ()
    opts: tuple[OptView, ...] = ()
    memberships: MembershipView | None = None


class EventResponseFact(ContractModel):
    """A VEN's optIn/optOut for one version of an event (oadrCreatedEvent), for backends.

    `effective_opt_type` is what counts: an oadrCreateOpt optIn for the event takes precedence over a
    later optOut here.
    """

    kind: Literal["event_response"] = "event_response"
    ven_id: str
    event_id: str
    modification_number: int
    opt_type: OptType
    effective_opt_type: OptType
    response_code: int
    request_id: str | None
    received_at: datetime


class OptChange(str, Enum):
    CREATED = "created"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class OptFact(ContractModel):
    """An opt schedule or event opt a VEN created, replaced (same optID) or cancelled."""

    kind: Literal["opt_change"] = "opt_change"
    change: OptChange
    ven_id: str
    opt_id: str
    opt: CreateOpt | None
    occurred_at: datetime

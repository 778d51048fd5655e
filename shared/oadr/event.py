"""Demand-response events and the EiEvent service messages (oadrRequestEvent, oadrDistributeEvent,
oadrCreatedEvent)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from shared.oadr.common import EiResponse, OadrModel
from shared.oadr.opt import OptType
from shared.oadr.signal import EventBaseline, EventSignal, Seconds
from shared.oadr.target import Target

UnsignedInt: TypeAlias = Annotated[int, Field(ge=0, le=2**32 - 1)]


class EventStatus(StrEnum):
    """ei:eventStatus: where the event stands relative to now."""

    NONE = "none"
    FAR = "far"
    NEAR = "near"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ResponseRequired(StrEnum):
    """oadr:oadrResponseRequired: whether the VEN must answer the event with oadrCreatedEvent."""

    ALWAYS = "always"
    NEVER = "never"


class EventDescriptor(OadrModel):
    """ei:eventDescriptor: identity, version and status of an event.

    `modification_number` grows by one with every change the VTN makes; (event_id,
    modification_number) names one version of the event. `priority`: lower is more important,
    0 means no priority (the lowest).
    """

    event_id: str
    modification_number: UnsignedInt
    market_context: str
    created_date_time: datetime
    event_status: EventStatus
    modification_date_time: datetime | None = None
    modification_reason: str | None = None
    priority: UnsignedInt | None = None
    test_event: bool = False
    vtn_comment: str | None = None


class ActivePeriod(OadrModel):
    """ei:eiActivePeriod: when the event runs.

    `duration` 0 means the event runs until cancelled. `start_after` is the xcal tolerance: each VEN
    may start up to that long after dtstart (randomized start). The x_ei_ periods: the VEN should
    have the event `x_ei_notification` before dtstart; load ramps up during `x_ei_ramp_up` before
    dtstart and recovers during `x_ei_recovery` after the end.
    """

    dtstart: datetime
    duration: Seconds
    start_after: Seconds | None = None
    x_ei_notification: Seconds | None = None
    x_ei_ramp_up: Seconds | None = None
    x_ei_recovery: Seconds | None = None


class Event(OadrModel):
    """One oadrEvent: an ei:eiEvent and whether the VEN must opt in or out of it.

    An empty `targets` addresses every VEN the event is sent to.
    """

    descriptor: EventDescriptor
    active_period: ActivePeriod
    signals: Annotated[tuple[EventSignal, ...], Field(min_length=1)]
    baseline: EventBaseline | None = None
    targets: Target = Target()
    response_required: ResponseRequired = ResponseRequired.ALWAYS


class RequestEvent(OadrModel):
    """VEN -> VTN: send me my events (at most `reply_limit` of them)."""

    message_type: Literal["oadrRequestEvent"] = "oadrRequestEvent"
    request_id: str
    ven_id: str
    reply_limit: UnsignedInt | None = None


class DistributeEvent(OadrModel):
    """VTN -> VEN: the VEN's current events, complete (an event left out is no longer pending)."""

    message_type: Literal["oadrDistributeEvent"] = "oadrDistributeEvent"
    request_id: str
    vtn_id: str
    events: tuple[Event, ...] = ()
    response: EiResponse | None = None


class EventResponse(OadrModel):
    """One ei:eventResponse: the VEN's optIn or optOut for one version of one event.

    `request_id` is that of the oadrDistributeEvent that carried the event.
    """

    response_code: int
    event_id: str
    modification_number: UnsignedInt
    opt_type: OptType
    response_description: str | None = None
    request_id: str | None = None


class CreatedEvent(OadrModel):
    """VEN -> VTN: answer to oadrDistributeEvent, opting in or out of each event."""

    message_type: Literal["oadrCreatedEvent"] = "oadrCreatedEvent"
    response: EiResponse
    ven_id: str
    event_responses: tuple[EventResponse, ...] = ()


VEN_MESSAGES = (RequestEvent, CreatedEvent)
VTN_MESSAGES = (DistributeEvent,)

"""Facts published for backends: registrations and presence."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from shared.contract.ven_traffic import ContractModel
from shared.oadr.profiles import OadrProfile


class RegistrationChange(str, Enum):
    CREATED = "created"
    REREGISTERED = "reregistered"
    CANCELLED = "cancelled"
    CANCEL_REQUESTED = "cancel_requested"
    REREGISTRATION_REQUESTED = "reregistration_requested"
    PROVISIONED = "provisioned"


class RegistrationEvent(ContractModel):
    """A change of a VEN's registration. A 2.0a VEN (`profile_name`), which has no registration service, is
    `created` when the operator provisions it (in force at once, without a registrationID)."""

    kind: Literal["registration_event"] = "registration_event"
    change: RegistrationChange
    ven_id: str
    ven_name: str | None = None
    registration_id: str | None = None
    occurred_at: datetime
    profile_name: OadrProfile = OadrProfile.B


class PresenceStatus(str, Enum):
    ONLINE = "online"
    OFFLINE = "offline"


class PresenceEvent(ContractModel):
    kind: Literal["presence_event"] = "presence_event"
    status: PresenceStatus
    ven_id: str
    last_seen: datetime
    occurred_at: datetime


class PollSighting(ContractModel):
    ven_id: str
    seen_at: datetime


class PollsObserved(ContractModel):
    """A gateway instance's batch of VENs that polled successfully since its previous batch."""

    kind: Literal["polls_observed"] = "polls_observed"
    gateway_instance: str
    sightings: tuple[PollSighting, ...]

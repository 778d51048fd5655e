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
    # For created and reregistered: the exchange model the VEN chose (false: the VTN pushes its messages to
    # transport_address, see docs/push.md; true or absent: the VEN polls)
    http_pull_model: bool | None = None
    transport_address: str | None = None


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
    """A batch of VENs seen alive since the sender's previous batch: by a gateway instance, VENs whose requests
    it answered with success; by a pusher, VENs that answered a push."""

    kind: Literal["polls_observed"] = "polls_observed"
    gateway_instance: str
    sightings: tuple[PollSighting, ...]


class VenUnreachable(ContractModel):
    """A pusher has failed to reach a push VEN since `since` (every attempt refused, timed out or answered
    with something that is not OpenADR) for longer than VTN_PUSH_OFFLINE_AFTER_SECONDS: presence_svc marks it
    offline unless it was seen after `since`."""

    kind: Literal["ven_unreachable"] = "ven_unreachable"
    ven_id: str
    since: datetime
    reason: str

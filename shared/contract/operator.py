"""Operator commands and queries about VENs, from the admin API or from backends over Kafka.

A request with a reply address gets an `OperatorOutcome` or `VenList`; without one (a backend's
fire-and-forget command), the outcome shows up as a `RegistrationEvent`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.contract.outcome import Outcome
from shared.contract.ven_traffic import ContractModel
from shared.oadr.profiles import OadrProfile


class ProvisionVen(ContractModel):
    """Allow a VEN in advance. A 2.0b VEN (the default profile) then registers itself (the provisioned_only
    registration policy admits only such VENs). A 2.0a VEN cannot register (2.0a has no registration service):
    it is in force at once, with the venID given here (required), bound to its certificate's `fingerprint`; with
    a `transport_address` the VTN pushes its events to that base URL, without one the VEN pulls them."""

    kind: Literal["provision_ven"] = "provision_ven"
    ven_name: str | None = Field(default=None, min_length=1, max_length=256)
    fingerprint: str | None = Field(default=None, min_length=1, max_length=128)
    ven_id: str | None = Field(default=None, min_length=1, max_length=128)
    profile_name: OadrProfile = Field(default=OadrProfile.B, description="The OpenADR profile the VEN speaks.")
    transport_address: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="2.0a VENs that take pushes: their base URL (http or https); the VTN appends "
        "/OpenADR2/Simple/EiEvent. 2.0b VENs give theirs when they register.",
    )


class CancelVenRegistration(ContractModel):
    """End a VEN's registration: oadrCancelPartyRegistration is delivered on its next poll."""

    kind: Literal["cancel_ven_registration"] = "cancel_ven_registration"
    ven_id: str


class RequestVenReregistration(ContractModel):
    """Ask a VEN to register again: oadrRequestReregistration is delivered on its next poll."""

    kind: Literal["request_ven_reregistration"] = "request_ven_reregistration"
    ven_id: str


class ListVens(ContractModel):
    """VENs in venID order. `search` matches the start of the venID or (case-insensitively) of the venName;
    `profile_name` and `transport_name` match exactly."""

    kind: Literal["list_vens"] = "list_vens"
    registered: bool | None = None
    online: bool | None = None
    ven_name_prefix: str | None = Field(default=None, max_length=256)
    search: str | None = Field(default=None, min_length=1, max_length=256)
    profile_name: str | None = Field(default=None, max_length=64)
    transport_name: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class CountVens(ContractModel):
    """How many VENs there are, registered and online, by profile and transport (answered with `VenCounts`)."""

    kind: Literal["count_vens"] = "count_vens"


class ListPresenceHistory(ContractModel):
    """A VEN's latest online/offline transitions, newest first (answered with `PresenceHistory`)."""

    kind: Literal["list_presence_history"] = "list_presence_history"
    ven_id: str
    limit: int = Field(default=50, ge=1, le=1000)


class GetVen(ContractModel):
    kind: Literal["get_ven"] = "get_ven"
    ven_id: str


class VenView(ContractModel):
    """Everything the VTN knows about one VEN, for operators."""

    ven_id: str
    ven_name: str | None
    fingerprint: str | None
    registration_id: str | None
    registered: bool
    provisioned: bool
    profile_name: OadrProfile
    transport_name: str | None
    # HTTP push: false for a VEN that registered in the push model, whose messages go to transport_address
    http_pull_model: bool | None = None
    transport_address: str | None = None
    registered_at: datetime | None
    cancelled_at: datetime | None
    online: bool
    last_seen: datetime | None
    pending_messages: int


class OperatorOutcome(Outcome):
    """Result of an operator request; `status` uses HTTP semantics (200, 201, 404, 409...)."""

    kind: Literal["operator_outcome"] = "operator_outcome"
    ven: VenView | None = None


class VenList(ContractModel):
    kind: Literal["ven_list"] = "ven_list"
    vens: tuple[VenView, ...]


class VenTally(ContractModel):
    """VENs of one profile and transport, as their registrations name them (None: not registered yet)."""

    profile_name: str | None
    transport_name: str | None
    registered: int
    online: int


class VenCounts(ContractModel):
    """The fleet at `as_of`: every VEN known, those registered, those registered and online."""

    kind: Literal["ven_counts"] = "ven_counts"
    as_of: datetime
    known: int
    registered: int
    online: int
    by_profile_transport: tuple[VenTally, ...]


class PresenceChange(ContractModel):
    online: bool
    last_seen: datetime
    changed_at: datetime


class PresenceHistory(ContractModel):
    kind: Literal["presence_history"] = "presence_history"
    ven_id: str
    changes: tuple[PresenceChange, ...]

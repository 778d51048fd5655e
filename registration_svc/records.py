"""The VEN record as the registration service sees it.

Whether a registration is in force, and whether it is staying (not being cancelled), is read from the
database, where both rules are defined once (migration 0015), never decided from `status` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from shared.oadr.profiles import OadrProfile


class VenStatus(str, Enum):
    PROVISIONED = "provisioned"  # allowed in advance, never registered
    REGISTERED = "registered"
    CANCELLING = "cancelling"  # the VTN asked to cancel; the VEN has not been told yet
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class VenRecord:
    ven_id: str
    ven_name: str | None
    fingerprint: str | None
    provisioned: bool
    status: VenStatus
    registration_id: str | None
    in_force: bool  # the registration is in force: registered, or being cancelled and not told yet
    staying: bool  # in force and not being cancelled
    registered_at: datetime | None = None
    cancelled_at: datetime | None = None
    http_pull_model: bool | None = None
    profile_name: str = OadrProfile.B

    @property
    def pushed(self) -> bool:
        """Registered in the push model: the VTN POSTs its messages to the VEN (docs/push.md)."""
        return self.http_pull_model is False

"""The VEN record as the registration service sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class VenStatus(str, Enum):
    PROVISIONED = "provisioned"  # allowed in advance, never registered
    REGISTERED = "registered"
    CANCELLING = "cancelling"  # the VTN asked to cancel; the VEN has not been told yet
    CANCELLED = "cancelled"


ACTIVE_STATUSES = frozenset({VenStatus.REGISTERED, VenStatus.CANCELLING})


@dataclass(frozen=True)
class VenRecord:
    ven_id: str
    ven_name: str | None
    fingerprint: str | None
    provisioned: bool
    status: VenStatus
    registration_id: str | None
    registered_at: datetime | None = None
    cancelled_at: datetime | None = None
    http_pull_model: bool | None = None

    @property
    def pushed(self) -> bool:
        """Registered in the push model: the VTN POSTs its messages to the VEN (docs/push.md)."""
        return self.http_pull_model is False

    @property
    def is_registered(self) -> bool:
        return self.status in ACTIVE_STATUSES

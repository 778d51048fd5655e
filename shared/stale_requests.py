"""VEN requests that go stale: those whose answer is the delivery, not worth handling once nobody waits for it.

A poll, oadrRequestEvent, a registration or oadrRegisterReport that a service reaches only after the gateway's
reply timeout (the service was down, frozen, or waiting for PostgreSQL) has had its 503 already: the VEN asks
again, and handling it would hand a poll's pending message, or a set of events or report requests, to nobody.
A message that brings the VTN data (oadrUpdateReport, oadrCreatedEvent, opts, acknowledgements) is handled
however late: its storage is idempotent, and a VEN that does not resend after the 503 (OpenLEADR's does not)
loses nothing. Each service names its own such requests; its consumers skip them when late
(shared.bus.service_consumer).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenRequest


@dataclass(frozen=True)
class AnsweredByDelivery:
    """True for a VEN request of one of `message_types`: the requests that go stale."""

    message_types: frozenset[str]

    @classmethod
    def of(cls, *groups: Collection[str]) -> AnsweredByDelivery:
        return cls(frozenset().union(*groups))

    def __call__(self, envelope: Envelope) -> bool:
        request = envelope.payload
        return isinstance(request, VenRequest) and request.message.message_type in self.message_types

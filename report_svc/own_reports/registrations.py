"""A VEN that registers gets the VTN's METADATA on its next poll; one that registers again (having lost its
state) or leaves ends its requests of the VTN's reports. Fed by `oadr.registration.events.v1`. A VEN whose
profile has no reports (2.0a) is offered none."""

from __future__ import annotations

from collections.abc import Sequence

from report_svc.own_reports import store as vtn_store
from report_svc.own_reports.catalog import VtnReport
from report_svc.own_reports.requests_from_vens import offer_reports
from shared.contract.backend_events import RegistrationChange, RegistrationEvent
from shared.contract.envelope import Envelope, Payload, utcnow
from shared.db.connection import Conn
from shared.oadr.profiles import traits_of

STARTS = (RegistrationChange.CREATED, RegistrationChange.REREGISTERED)


class RegistrationWatcher:
    def __init__(self, catalog: Sequence[VtnReport], offer_on_registration: bool) -> None:
        self._catalog = tuple(catalog)
        self._offer = offer_on_registration

    async def __call__(self, conn: Conn, envelope: Envelope) -> Payload | None:
        fact = envelope.payload
        if not isinstance(fact, RegistrationEvent):
            return None
        if fact.change in STARTS or fact.change is RegistrationChange.CANCELLED:
            await vtn_store.close_all(conn, fact.ven_id)
        if fact.change in STARTS and self._offer and traits_of(fact.profile_name).speaks("EiReport"):
            await offer_reports(
                conn, fact.ven_id, self._catalog, utcnow(), reason=f"registration:{envelope.message_id}"
            )
        return None

"""Pure builders of the VTN's registration answers."""

from __future__ import annotations

from datetime import timedelta

from shared.oadr.answers import error, ok, response
from shared.oadr.common import EiResponse
from shared.oadr.registration import (
    PROFILE_20B,
    TRANSPORT_SIMPLE_HTTP,
    CreatedPartyRegistration,
    Profile,
    Transport,
)

__all__ = ["OFFERED_PROFILES", "created_party_registration", "error", "ok", "response"]

OFFERED_PROFILES = (Profile(profile_name=PROFILE_20B, transports=(Transport(transport_name=TRANSPORT_SIMPLE_HTTP),)),)


def created_party_registration(
    response: EiResponse,
    vtn_id: str,
    poll_interval: timedelta | None,
    ven_id: str | None = None,
    registration_id: str | None = None,
) -> CreatedPartyRegistration:
    return CreatedPartyRegistration(
        response=response,
        registration_id=registration_id,
        ven_id=ven_id,
        vtn_id=vtn_id,
        profiles=OFFERED_PROFILES,
        requested_poll_freq=poll_interval,
    )

"""Pure builders of the VTN's registration answers."""

from __future__ import annotations

from datetime import timedelta

from shared.oadr.answers import error, ok, response
from shared.oadr.common import EiResponse
from shared.oadr.registration import (
    PROFILE_20B,
    TRANSPORT_SIMPLE_HTTP,
    TRANSPORT_XMPP,
    CreatedPartyRegistration,
    Profile,
    ServiceInfo,
    Transport,
)

__all__ = ["OFFERED_PROFILES", "XMPP_ADDRESS_KEY", "created_party_registration", "error", "ok", "response"]

OFFERED_PROFILES = (Profile(profile_name=PROFILE_20B, transports=(Transport(transport_name=TRANSPORT_SIMPLE_HTTP),)),)
# The key under which oadrServiceSpecificInfo gives the VTN's XMPP address for each service (docs/xmpp.md)
XMPP_ADDRESS_KEY = "xmppAddress"
XMPP_SERVICES = ("EiEvent", "EiOpt", "EiReport", "EiRegisterParty")


def offered_profiles(xmpp_address: str | None) -> tuple[Profile, ...]:
    """2.0b over simpleHttp, and over xmpp when the VTN serves XMPP."""
    if xmpp_address is None:
        return OFFERED_PROFILES
    transports = (Transport(transport_name=TRANSPORT_SIMPLE_HTTP), Transport(transport_name=TRANSPORT_XMPP))
    return (Profile(profile_name=PROFILE_20B, transports=transports),)


def xmpp_service_info(xmpp_address: str | None) -> tuple[ServiceInfo, ...]:
    """Where each service is reached over XMPP: the VTN's one address serves them all."""
    if xmpp_address is None:
        return ()
    return tuple(ServiceInfo(service_name=name, info=((XMPP_ADDRESS_KEY, xmpp_address),)) for name in XMPP_SERVICES)


def created_party_registration(
    response: EiResponse,
    vtn_id: str,
    poll_interval: timedelta | None,
    ven_id: str | None = None,
    registration_id: str | None = None,
    xmpp_address: str | None = None,
) -> CreatedPartyRegistration:
    return CreatedPartyRegistration(
        response=response,
        registration_id=registration_id,
        ven_id=ven_id,
        vtn_id=vtn_id,
        profiles=offered_profiles(xmpp_address),
        requested_poll_freq=poll_interval,
        service_specific_info=xmpp_service_info(xmpp_address),
    )

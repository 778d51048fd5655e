"""Registration and polling messages (EiRegisterParty and OadrPoll services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from shared.oadr.common import EiResponse, OadrModel
from shared.oadr.profiles import OadrProfile

PROFILE_20B = OadrProfile.B.value
TRANSPORT_SIMPLE_HTTP = "simpleHttp"
TRANSPORT_XMPP = "xmpp"


class QueryRegistration(OadrModel):
    """VEN -> VTN: which profiles and transports does the VTN offer (and am I registered)?"""

    message_type: Literal["oadrQueryRegistration"] = "oadrQueryRegistration"
    request_id: str


class CreatePartyRegistration(OadrModel):
    """VEN -> VTN: register, or re-register when registration_id is given."""

    message_type: Literal["oadrCreatePartyRegistration"] = "oadrCreatePartyRegistration"
    request_id: str
    registration_id: str | None = None
    ven_id: str | None = None
    profile_name: str = PROFILE_20B
    transport_name: str = TRANSPORT_SIMPLE_HTTP
    transport_address: str | None = None
    report_only: bool = False
    xml_signature: bool = False
    ven_name: str | None = None
    http_pull_model: bool | None = True

    @property
    def pushed(self) -> bool:
        """The VEN asks the VTN to push its messages (simple HTTP push model) instead of polling for them."""
        return self.http_pull_model is False


class CancelPartyRegistration(OadrModel):
    """Either side -> the other: end this registration."""

    message_type: Literal["oadrCancelPartyRegistration"] = "oadrCancelPartyRegistration"
    request_id: str
    registration_id: str
    ven_id: str | None = None


class CanceledPartyRegistration(OadrModel):
    """Answer to oadrCancelPartyRegistration, in either direction."""

    message_type: Literal["oadrCanceledPartyRegistration"] = "oadrCanceledPartyRegistration"
    response: EiResponse
    registration_id: str | None = None
    ven_id: str | None = None


class Transport(OadrModel):
    transport_name: str


class Profile(OadrModel):
    profile_name: str
    transports: tuple[Transport, ...]


class CreatedPartyRegistration(OadrModel):
    """VTN -> VEN: answer to oadrQueryRegistration and oadrCreatePartyRegistration."""

    message_type: Literal["oadrCreatedPartyRegistration"] = "oadrCreatedPartyRegistration"
    response: EiResponse
    registration_id: str | None = None
    ven_id: str | None = None
    vtn_id: str
    profiles: tuple[Profile, ...]
    requested_poll_freq: timedelta | None = None


class RequestReregistration(OadrModel):
    """VTN -> VEN: please register again (delivered on the VEN's next poll)."""

    message_type: Literal["oadrRequestReregistration"] = "oadrRequestReregistration"
    ven_id: str


class Poll(OadrModel):
    """VEN -> VTN: anything for me?"""

    message_type: Literal["oadrPoll"] = "oadrPoll"
    ven_id: str


class Response(OadrModel):
    """oadrResponse, in either direction: a bare acknowledgement or error."""

    message_type: Literal["oadrResponse"] = "oadrResponse"
    response: EiResponse
    ven_id: str | None = None


VEN_MESSAGES = (
    QueryRegistration,
    CreatePartyRegistration,
    CancelPartyRegistration,
    CanceledPartyRegistration,
    Poll,
    Response,
)
VTN_MESSAGES = (
    CreatedPartyRegistration,
    CancelPartyRegistration,
    CanceledPartyRegistration,
    RequestReregistration,
    Response,
)

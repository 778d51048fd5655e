"""The unions of every message a VEN may send and every message the VTN may send.

`message_type` (the OpenADR element name) is the discriminator, so a payload decoded from JSON comes
back as the right model.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field, TypeAdapter

from shared.oadr.event import CreatedEvent, DistributeEvent, RequestEvent
from shared.oadr.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from shared.oadr.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Poll,
    QueryRegistration,
    RequestReregistration,
    Response,
)
from shared.oadr.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)

VenMessage: TypeAlias = Annotated[
    QueryRegistration
    | CreatePartyRegistration
    | CancelPartyRegistration
    | CanceledPartyRegistration
    | Poll
    | Response
    | RequestEvent
    | CreatedEvent
    | RegisterReport
    | RegisteredReport
    | CreateReport
    | CreatedReport
    | UpdateReport
    | UpdatedReport
    | CancelReport
    | CanceledReport
    | CreateOpt
    | CancelOpt,
    Field(discriminator="message_type"),
]

VtnMessage: TypeAlias = Annotated[
    CreatedPartyRegistration
    | CancelPartyRegistration
    | CanceledPartyRegistration
    | RequestReregistration
    | Response
    | DistributeEvent
    | RegisterReport
    | RegisteredReport
    | CreateReport
    | CreatedReport
    | UpdateReport
    | UpdatedReport
    | CancelReport
    | CanceledReport
    | CreatedOpt
    | CanceledOpt,
    Field(discriminator="message_type"),
]

VEN_MESSAGE_ADAPTER: TypeAdapter[VenMessage] = TypeAdapter(VenMessage)
VTN_MESSAGE_ADAPTER: TypeAdapter[VtnMessage] = TypeAdapter(VtnMessage)

"""Opt messages (EiOpt service): a VEN opts in or out of one event, or of a time schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import model_validator

from shared.oadr.common import EiResponse, OadrModel
from shared.oadr.period import Period
from shared.oadr.target import Target

OptType = Literal["optIn", "optOut"]


class CreateOpt(OadrModel):
    """VEN -> VTN: opt in or out of the event `event_id`, or of the windows in `vavailability`.

    `targets` says which of the VEN's resources the opt covers (empty: all of them); `device_class`
    narrows it to device kinds (endDeviceAsset mRIDs). `opt_reason` is an enumerated reason such as
    "economic" or "x-schedule", or an `x-` extension.
    """

    message_type: Literal["oadrCreateOpt"] = "oadrCreateOpt"
    request_id: str
    opt_id: str
    opt_type: OptType
    opt_reason: str
    market_context: str | None = None
    ven_id: str
    vavailability: tuple[Period, ...] = ()
    created_date_time: datetime
    event_id: str | None = None
    modification_number: int | None = None
    targets: Target = Target()
    device_class: Target | None = None

    @model_validator(mode="after")
    def _qualified_event_id_is_complete(self) -> CreateOpt:
        if (self.event_id is None) != (self.modification_number is None):
            raise ValueError("event_id and modification_number go together (ei:qualifiedEventID)")
        return self


class CreatedOpt(OadrModel):
    """VTN -> VEN: answer to oadrCreateOpt."""

    message_type: Literal["oadrCreatedOpt"] = "oadrCreatedOpt"
    response: EiResponse
    opt_id: str


class CancelOpt(OadrModel):
    """VEN -> VTN: withdraw the opt `opt_id`."""

    message_type: Literal["oadrCancelOpt"] = "oadrCancelOpt"
    request_id: str
    opt_id: str
    ven_id: str


class CanceledOpt(OadrModel):
    """VTN -> VEN: answer to oadrCancelOpt."""

    message_type: Literal["oadrCanceledOpt"] = "oadrCanceledOpt"
    response: EiResponse
    opt_id: str | None = None


VEN_MESSAGES = (CreateOpt, CancelOpt)
VTN_MESSAGES = (CreatedOpt, CanceledOpt)

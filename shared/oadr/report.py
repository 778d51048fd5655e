"""Report messages (EiReport service). Both parties register, request, send and cancel reports, so
every message flows in both directions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.oadr.common import EiResponse, OadrModel
from shared.oadr.report_parts import Report, ReportRequest


class RegisterReport(OadrModel):
    """Offer the reports one can send (METADATA reports); `report_request_id` when it answers a request."""

    message_type: Literal["oadrRegisterReport"] = "oadrRegisterReport"
    request_id: str
    ven_id: str | None = None
    reports: tuple[Report, ...] = ()
    report_request_id: str | None = None


class RegisteredReport(OadrModel):
    """Answer to oadrRegisterReport, optionally requesting some of the offered reports at once."""

    message_type: Literal["oadrRegisteredReport"] = "oadrRegisteredReport"
    response: EiResponse
    ven_id: str | None = None
    report_requests: tuple[ReportRequest, ...] = ()


class CreateReport(OadrModel):
    """Request reports from the other party."""

    message_type: Literal["oadrCreateReport"] = "oadrCreateReport"
    request_id: str
    ven_id: str | None = None
    report_requests: tuple[ReportRequest, ...] = Field(min_length=1)


class CreatedReport(OadrModel):
    """Answer to oadrCreateReport (or to piggy-backed requests): the requests still to be delivered."""

    message_type: Literal["oadrCreatedReport"] = "oadrCreatedReport"
    response: EiResponse
    ven_id: str | None = None
    pending_report_request_ids: tuple[str, ...] = ()


class UpdateReport(OadrModel):
    """Deliver report data for earlier requests."""

    message_type: Literal["oadrUpdateReport"] = "oadrUpdateReport"
    request_id: str
    ven_id: str | None = None
    reports: tuple[Report, ...] = ()


class CancelReport(OadrModel):
    """Stop report requests; `report_to_follow`: one last report for each will still be sent."""

    message_type: Literal["oadrCancelReport"] = "oadrCancelReport"
    request_id: str
    report_request_ids: tuple[str, ...] = Field(min_length=1)
    report_to_follow: bool
    ven_id: str | None = None


class UpdatedReport(OadrModel):
    """Answer to oadrUpdateReport, optionally cancelling report requests at once."""

    message_type: Literal["oadrUpdatedReport"] = "oadrUpdatedReport"
    response: EiResponse
    ven_id: str | None = None
    cancel_report: CancelReport | None = None


class CanceledReport(OadrModel):
    """Answer to oadrCancelReport: the requests still to be delivered."""

    message_type: Literal["oadrCanceledReport"] = "oadrCanceledReport"
    response: EiResponse
    ven_id: str | None = None
    pending_report_request_ids: tuple[str, ...] = ()


VEN_MESSAGES = (
    RegisterReport,
    RegisteredReport,
    CreateReport,
    CreatedReport,
    UpdateReport,
    UpdatedReport,
    CancelReport,
    CanceledReport,
)
VTN_MESSAGES = VEN_MESSAGES

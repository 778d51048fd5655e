"""Reports for backends: the data VENs report, one record per interval, and the report commands.

Report data (`ReportData`) is published on `oadr.report.data.v1`, keyed by venID, in the order the VEN
sent it. Commands (from the admin API or backends) go to `oadr.report.commands.v1`; with a reply address
they are answered with `AvailableReports`, `ReportOutcome` or `ReportDataPage`; every one of them names a
VEN, and a venID the VTN does not know is answered with a `ReportOutcome` of status 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, model_validator

from shared.contract.outcome import Outcome
from shared.contract.ven_traffic import ContractModel
from shared.oadr.period import Period
from shared.oadr.report_parts import Report, ReportRequest, ResourceStatus
from shared.oadr.units import ItemBase


class ReportData(ContractModel):
    """One interval of one data point (rID) of a report a VEN sent in answer to `report_request_id`."""

    kind: Literal["report_data"] = "report_data"
    ven_id: str
    report_request_id: str
    report_specifier_id: str
    report_name: str | None
    r_id: str
    dtstart: datetime
    duration: timedelta | None
    value: float | ResourceStatus
    units: ItemBase | None
    reading_type: str | None
    received_at: datetime


class ListAvailableReports(ContractModel):
    """The reports (METADATA) a VEN offered in its latest oadrRegisterReport.

    Answered with `AvailableReports`, or a `ReportOutcome` of status 404 for a venID the VTN does not know.
    """

    kind: Literal["list_available_reports"] = "list_available_reports"
    ven_id: str


class AvailableReports(ContractModel):
    kind: Literal["available_reports"] = "available_reports"
    ven_id: str
    reports: tuple[Report, ...]


class RequestReport(ContractModel):
    """Ask a VEN for one of its offered reports (by `report_specifier_id`).

    Periodic telemetry: a granularity and a reportBackDuration (both zero: one report, now). History: a
    `report_interval` (the past span wanted) and granularity; reportBackDuration zero makes it one-shot.
    `r_ids` empty means every data point of the report.
    """

    kind: Literal["request_report"] = "request_report"
    ven_id: str
    report_specifier_id: str = Field(min_length=1, max_length=256)
    r_ids: tuple[str, ...] = ()
    granularity: timedelta = timedelta(0)
    report_back_duration: timedelta = timedelta(0)
    report_interval: Period | None = None

    @model_validator(mode="after")
    def _non_negative(self) -> RequestReport:
        if self.granularity < timedelta(0) or self.report_back_duration < timedelta(0):
            raise ValueError("granularity and report_back_duration cannot be negative")
        return self


class CancelReportRequest(ContractModel):
    """Stop a report request: oadrCancelReport reaches the VEN on its next poll."""

    kind: Literal["cancel_report_request"] = "cancel_report_request"
    ven_id: str
    report_request_id: str
    report_to_follow: bool = False


class ListReportRequests(ContractModel):
    kind: Literal["list_report_requests"] = "list_report_requests"
    ven_id: str


class ReportRequestView(ContractModel):
    """A report request the VTN made of a VEN, and where it stands."""

    ven_id: str
    report_request_id: str
    report_specifier_id: str
    report_name: str | None
    status: str
    report_to_follow: bool
    request: ReportRequest
    created_at: datetime
    updated_at: datetime
    # The VEN never confirmed the request (oadrCreatedReport, or data) or its cancel (oadrCanceledReport): how
    # often the VTN sent it again, and when it stopped trying (report_svc.confirmations).
    resends: int = 0
    unconfirmed_at: datetime | None = None


class ReportOutcome(Outcome):
    """Result of a report command; `status` uses HTTP semantics (200, 202, 404, 409, 422...)."""

    kind: Literal["report_outcome"] = "report_outcome"
    requests: tuple[ReportRequestView, ...] = ()


class QueryReportData(ContractModel):
    """Stored report data of a VEN, optionally of one rID or request, with dtstart in [start, end).

    Answered with `ReportDataPage`, or a `ReportOutcome` of status 404 for a venID the VTN does not know.
    """

    kind: Literal["query_report_data"] = "query_report_data"
    ven_id: str
    r_id: str | None = None
    report_request_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = Field(default=1000, ge=1, le=10000)


class ReportDataPage(ContractModel):
    kind: Literal["report_data_page"] = "report_data_page"
    records: tuple[ReportData, ...]

"""The VTN's own reports (VTN -> VEN) for operators and backends: republish the VTN's METADATA, list it, and
list the requests VENs made for it. Commands and queries travel on `oadr.report.commands.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.contract.outcome import Outcome
from shared.contract.ven_traffic import ContractModel
from shared.oadr.report_parts import Report, ReportRequest


class PublishVtnReports(ContractModel):
    """Queue the VTN's METADATA oadrRegisterReport for the next poll of `ven_ids` (empty: every registered VEN)."""

    kind: Literal["publish_vtn_reports"] = "publish_vtn_reports"
    ven_ids: tuple[str, ...] = ()


class ListVtnReports(ContractModel):
    """The METADATA reports the VTN offers."""

    kind: Literal["list_vtn_reports"] = "list_vtn_reports"


class VtnReportCatalog(ContractModel):
    kind: Literal["vtn_report_catalog"] = "vtn_report_catalog"
    reports: tuple[Report, ...]


class ListVtnReportRequests(ContractModel):
    """The requests a VEN made for the VTN's reports."""

    kind: Literal["list_vtn_report_requests"] = "list_vtn_report_requests"
    ven_id: str


class VtnReportRequestView(ContractModel):
    """A VEN's request for one of the VTN's reports; `status`: active, cancelled or completed.

    `next_report_at` is when the next oadrUpdateReport is due (None: nothing more to send).
    """

    ven_id: str
    report_request_id: str
    report_specifier_id: str
    status: str
    request: ReportRequest
    next_report_at: datetime | None
    covered_until: datetime | None
    reports_sent: int
    created_at: datetime
    updated_at: datetime
    # The VEN never acknowledged the last report (oadrUpdatedReport): how often the VTN sent it again, and when
    # it stopped trying (report_svc.confirmations).
    resends: int = 0
    unconfirmed_at: datetime | None = None


class VtnReportOutcome(Outcome):
    """Result of a VTN-report command or query; `status` uses HTTP semantics."""

    kind: Literal["vtn_report_outcome"] = "vtn_report_outcome"
    ven_ids: tuple[str, ...] = ()
    requests: tuple[VtnReportRequestView, ...] = ()

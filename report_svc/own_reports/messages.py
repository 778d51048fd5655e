"""Pure builders of the messages the VTN sends about its own reports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from report_svc.own_reports.catalog import VtnReport, metadata_reports
from report_svc.own_reports.schedule import Window
from report_svc.ven_reports.requests_to_vens import data_report_name
from shared.oadr.answers import error, ok
from shared.oadr.report import CanceledReport, CreatedReport, RegisterReport, UpdateReport
from shared.oadr.report_parts import Report, ReportInterval, ReportRequest


def new_request_id() -> str:
    return uuid.uuid4().hex


def register_report(
    ven_id: str, catalog: Sequence[VtnReport], now: datetime, request_id: str | None = None
) -> RegisterReport:
    """The VTN's METADATA oadrRegisterReport (reportRequestID 0: sent unasked)."""
    return RegisterReport(
        request_id=request_id or new_request_id(),
        ven_id=ven_id,
        reports=metadata_reports(catalog, now),
        report_request_id="0",
    )


def update_report(
    ven_id: str,
    request: ReportRequest,
    metadata_name: str,
    window: Window,
    intervals: Sequence[ReportInterval],
    now: datetime,
    request_id: str | None = None,
) -> UpdateReport:
    """One oadrUpdateReport answering `request` with the data of `window`."""
    report = Report(
        report_id=f"{request.report_request_id}-{int(window.date_to.timestamp())}",
        report_specifier_id=request.report_specifier.report_specifier_id,
        report_name=data_report_name(metadata_name),
        report_request_id=request.report_request_id,
        created_date_time=now,
        dtstart=window.date_from,
        duration=window.date_to - window.date_from,
        intervals=tuple(intervals),
    )
    return UpdateReport(request_id=request_id or new_request_id(), ven_id=ven_id, reports=(report,))


def created_report(ven_id: str, request_id: str | None, pending: Sequence[str]) -> CreatedReport:
    return CreatedReport(response=ok(request_id), ven_id=ven_id, pending_report_request_ids=tuple(pending))


def created_report_error(
    ven_id: str, request_id: str | None, code: int, description: str, pending: Sequence[str]
) -> CreatedReport:
    return CreatedReport(
        response=error(code, description, request_id), ven_id=ven_id, pending_report_request_ids=tuple(pending)
    )


def canceled_report(ven_id: str, request_id: str | None, pending: Sequence[str]) -> CanceledReport:
    return CanceledReport(response=ok(request_id), ven_id=ven_id, pending_report_request_ids=tuple(pending))


def canceled_report_error(
    ven_id: str, request_id: str | None, code: int, description: str, pending: Sequence[str]
) -> CanceledReport:
    return CanceledReport(
        response=error(code, description, request_id), ven_id=ven_id, pending_report_request_ids=tuple(pending)
    )

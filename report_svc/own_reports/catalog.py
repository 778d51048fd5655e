"""The reports the VTN itself offers VENs (its METADATA), and the check of a VEN's request for them.

The operator describes them in `VTN_OWN_REPORTS` (JSON, or `@path` to a JSON file): a list of reports, each
with its reportSpecifierID, METADATA report name and data points (rID, reportType, readingType, itemBase,
sampling rate). Unset, the VTN offers one METADATA_TELEMETRY_STATUS report, `vtn-status`, whose one data
point (`vtn-status`, x-resourceStatus) tells the VTN's own status. Data points other than status points
need an `on_request_report` handler for their values (checked at start).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from report_svc.ven_reports.requests_to_vens import ZERO
from shared.oadr.common import ResponseCode
from shared.oadr.report_parts import Report, ReportDescription, ReportName, ReportRequest, SamplingRate
from shared.oadr.target import Target
from shared.oadr.units import ItemBase

STATUS_REPORT_TYPE = "x-resourceStatus"
DEFAULT_REPORT_ID = "vtn-status"


class VtnDataPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    r_id: str = Field(min_length=1)
    report_type: str = STATUS_REPORT_TYPE
    reading_type: str = "x-notApplicable"
    item_base: ItemBase | None = None
    resource_id: str | None = None
    min_period: timedelta = timedelta(seconds=1)
    max_period: timedelta = timedelta(hours=1)
    on_change: bool = False

    @property
    def is_status(self) -> bool:
        return self.report_type == STATUS_REPORT_TYPE


class VtnReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    report_specifier_id: str = Field(min_length=1)
    report_name: str = ReportName.METADATA_TELEMETRY_STATUS.value
    duration: timedelta | None = None
    points: tuple[VtnDataPoint, ...] = Field(min_length=1)

    def point(self, r_id: str) -> VtnDataPoint | None:
        return next((p for p in self.points if p.r_id == r_id), None)


DEFAULT_CATALOG = (VtnReport(report_specifier_id=DEFAULT_REPORT_ID, points=(VtnDataPoint(r_id=DEFAULT_REPORT_ID),)),)
_CATALOG_ADAPTER = TypeAdapter(tuple[VtnReport, ...])


class CatalogError(ValueError):
    """The operator's description of the VTN's reports cannot be used."""


def parse_catalog(setting: str | None, has_handler: bool) -> tuple[VtnReport, ...]:
    """The VTN's reports from the setting (JSON text or `@path`); the default when unset."""
    if not setting:
        return DEFAULT_CATALOG
    text = Path(setting[1:]).read_text() if setting.startswith("@") else setting
    try:
        catalog = _CATALOG_ADAPTER.validate_python(json.loads(text))
    except ValueError as exc:
        raise CatalogError(f"VTN_OWN_REPORTS is not a valid list of reports: {exc}") from exc
    ids = [r.report_specifier_id for r in catalog]
    if len(set(ids)) != len(ids):
        raise CatalogError(f"reportSpecifierIDs must be unique: {ids}")
    for report in catalog:
        r_ids = [p.r_id for p in report.points]
        if len(set(r_ids)) != len(r_ids):
            raise CatalogError(f"rIDs must be unique in report {report.report_specifier_id}: {r_ids}")
        if not has_handler and not all(p.is_status for p in report.points):
            raise CatalogError(
                f"report {report.report_specifier_id} has data points that are not x-resourceStatus: "
                "their values need VTN_ON_REQUEST_REPORT=module:function"
            )
    return catalog


def metadata_reports(catalog: Sequence[VtnReport], created: datetime) -> tuple[Report, ...]:
    """The METADATA reports of the VTN's oadrRegisterReport (reportRequestID 0: nobody requested them)."""
    return tuple(
        Report(
            report_specifier_id=report.report_specifier_id,
            report_name=report.report_name,
            created_date_time=created,
            duration=report.duration,
            descriptions=tuple(_description(p) for p in report.points),
        )
        for report in catalog
    )


def _description(point: VtnDataPoint) -> ReportDescription:
    source = Target(resource_ids=(point.resource_id,)) if point.resource_id else None
    return ReportDescription(
        r_id=point.r_id,
        report_data_source=source,
        report_type=point.report_type,
        item_base=point.item_base,
        reading_type=point.reading_type,
        sampling_rate=SamplingRate(min_period=point.min_period, max_period=point.max_period, on_change=point.on_change),
    )


class RequestNotAccepted(ValueError):
    """A VEN's request for a VTN report that the VTN cannot serve; `response_code` for the VEN."""

    def __init__(self, response_code: int, description: str) -> None:
        super().__init__(description)
        self.response_code = response_code
        self.description = description


def check_requests(catalog: Sequence[VtnReport], requests: Sequence[ReportRequest]) -> None:
    """Every request must name an offered report and rIDs, at a granularity the sampling rates allow, with
    reportRequestIDs unique in the message; raises RequestNotAccepted for the first that does not."""
    ids = [r.report_request_id for r in requests]
    if len(set(ids)) != len(ids):
        raise RequestNotAccepted(ResponseCode.INVALID_ID, f"reportRequestIDs repeat in one message: {ids}")
    by_id = {r.report_specifier_id: r for r in catalog}
    for request in requests:
        specifier = request.report_specifier
        report = by_id.get(specifier.report_specifier_id)
        if report is None:
            raise RequestNotAccepted(
                ResponseCode.INVALID_ID, f"this VTN offers no report {specifier.report_specifier_id}"
            )
        if specifier.granularity < ZERO or specifier.report_back_duration < ZERO:
            raise RequestNotAccepted(ResponseCode.INVALID_DATA, "granularity and reportBackDuration cannot be negative")
        for payload in specifier.specifier_payloads:
            point = report.point(payload.r_id)
            if point is None:
                raise RequestNotAccepted(
                    ResponseCode.INVALID_ID, f"report {report.report_specifier_id} offers no rID {payload.r_id}"
                )
            granularity = specifier.granularity
            if granularity != ZERO and not point.min_period <= granularity <= point.max_period:
                raise RequestNotAccepted(
                    ResponseCode.INVALID_DATA,
                    f"granularity {granularity} is outside rID {point.r_id}'s sampling rate "
                    f"[{point.min_period}, {point.max_period}]",
                )

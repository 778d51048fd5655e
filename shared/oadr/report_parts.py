"""The pieces of EiReport messages: reports with their data point descriptions and intervals, and requests.

Report types (`reportType`), reading types (`readingType`) and data qualities are kept as strings: the
schema lets each be one of its enumerated values or an `x-` extension token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from shared.oadr.common import OadrModel
from shared.oadr.period import Period
from shared.oadr.target import Target
from shared.oadr.units import ItemBase


class ReportName(StrEnum):
    """The report names of OpenADR 2.0b; a METADATA_ report describes what the others can carry."""

    METADATA_HISTORY_USAGE = "METADATA_HISTORY_USAGE"
    HISTORY_USAGE = "HISTORY_USAGE"
    METADATA_HISTORY_GREENBUTTON = "METADATA_HISTORY_GREENBUTTON"
    HISTORY_GREENBUTTON = "HISTORY_GREENBUTTON"
    METADATA_TELEMETRY_USAGE = "METADATA_TELEMETRY_USAGE"
    TELEMETRY_USAGE = "TELEMETRY_USAGE"
    METADATA_TELEMETRY_STATUS = "METADATA_TELEMETRY_STATUS"
    TELEMETRY_STATUS = "TELEMETRY_STATUS"


class SamplingRate(OadrModel):
    """How often a data point can be sampled; `on_change`: also when it changes, at most every min_period."""

    min_period: timedelta
    max_period: timedelta
    on_change: bool


class ReportDescription(OadrModel):
    """oadrReportDescription: one data point (rID) a METADATA report offers."""

    r_id: str
    report_subject: Target | None = None
    report_data_source: Target | None = None
    report_type: str
    item_base: ItemBase | None = None
    reading_type: str
    market_context: str | None = None
    sampling_rate: SamplingRate | None = None


class LoadControlLevel(OadrModel):
    """oadrLoadControlStateTypeType: the current value of one load control, with its range and normal."""

    current: float
    minimum: float | None = None
    maximum: float | None = None
    normal: float | None = None


class LoadControlState(OadrModel):
    capacity: LoadControlLevel | None = None
    level_offset: LoadControlLevel | None = None
    percent_offset: LoadControlLevel | None = None
    set_point: LoadControlLevel | None = None


class ResourceStatus(OadrModel):
    """oadrPayloadResourceStatus: the payload of x-resourceStatus data points (TELEMETRY_STATUS)."""

    online: bool
    manual_override: bool
    load_control_state: LoadControlState | None = None


class ReportPayload(OadrModel):
    """oadrReportPayload: the value of data point `r_id` in one interval (payloadFloat or a status)."""

    r_id: str
    value: float | ResourceStatus
    confidence: int | None = Field(default=None, ge=0, le=100)
    accuracy: float | None = None
    data_quality: str | None = None


class ReportInterval(OadrModel):
    """One ei:interval of a report; `dtstart`/`duration` default to the report's own."""

    dtstart: datetime | None = None
    duration: timedelta | None = None
    uid: str | None = None
    payloads: tuple[ReportPayload, ...] = Field(min_length=1)


class Report(OadrModel):
    """oadrReport: metadata (descriptions) in oadrRegisterReport, data (intervals) in oadrUpdateReport.

    `report_request_id` is "0" for a METADATA report nobody requested, as the spec prescribes.
    """

    report_id: str | None = None
    report_specifier_id: str
    report_name: str | None = None
    report_request_id: str = "0"
    created_date_time: datetime
    dtstart: datetime | None = None
    duration: timedelta | None = None
    descriptions: tuple[ReportDescription, ...] = ()
    intervals: tuple[ReportInterval, ...] = ()


class SpecifierPayload(OadrModel):
    """One data point asked for by a report request."""

    r_id: str
    reading_type: str
    item_base: ItemBase | None = None


class ReportSpecifier(OadrModel):
    """What to report and how: sample every `granularity`, send every `report_back_duration`.

    `report_interval` bounds the whole reporting period (for HISTORY reports, the past span to send).
    """

    report_specifier_id: str
    granularity: timedelta
    report_back_duration: timedelta
    report_interval: Period | None = None
    specifier_payloads: tuple[SpecifierPayload, ...] = Field(min_length=1)


class ReportRequest(OadrModel):
    """oadrReportRequest: a request, named `report_request_id`, for the report a specifier describes."""

    report_request_id: str
    report_specifier: ReportSpecifier

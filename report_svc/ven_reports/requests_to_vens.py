"""Pure builders of the report requests the VTN sends a VEN, checked against the VEN's METADATA.

A request names only rIDs the VEN offered, asks for a granularity its sampling rate allows (zero: one
report, now), and carries a reportRequestID of its own. Builders raise `RequestRefused` otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from shared.oadr.answers import ok
from shared.oadr.period import Period
from shared.oadr.report import CancelReport, CreateReport, RegisteredReport, UpdatedReport
from shared.oadr.report_parts import (
    Report,
    ReportDescription,
    ReportName,
    ReportRequest,
    ReportSpecifier,
    SpecifierPayload,
)

METADATA_PREFIX = "METADATA_"
TELEMETRY_METADATA = frozenset({ReportName.METADATA_TELEMETRY_USAGE.value, ReportName.METADATA_TELEMETRY_STATUS.value})
ZERO = timedelta(0)


class RequestRefused(ValueError):
    """A report request that the VEN's METADATA does not allow; `status` in HTTP terms for operators."""

    status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def new_report_request_id() -> str:
    return f"rr-{uuid.uuid4().hex}"


def data_report_name(metadata_name: str | None) -> str | None:
    """The name of the data report a METADATA report describes (METADATA_TELEMETRY_USAGE -> TELEMETRY_USAGE)."""
    if metadata_name is not None and metadata_name.startswith(METADATA_PREFIX):
        return metadata_name[len(METADATA_PREFIX) :]
    return metadata_name


def fit_granularity(descriptions: Sequence[ReportDescription], wanted: timedelta) -> timedelta:
    """The granularity closest to `wanted` that every description's sampling rate allows (zero stays zero)."""
    if wanted == ZERO:
        return ZERO
    rates = [d.sampling_rate for d in descriptions if d.sampling_rate is not None]
    if not rates:
        return wanted
    low = max(rate.min_period for rate in rates)
    high = min(rate.max_period for rate in rates)
    if low > high:
        raise RequestRefused("the sampling rates of the requested data points have no granularity in common")
    return min(max(wanted, low), high)


def check_granularity(descriptions: Sequence[ReportDescription], granularity: timedelta) -> None:
    if granularity == ZERO:
        return
    for description in descriptions:
        rate = description.sampling_rate
        if rate is not None and not rate.min_period <= granularity <= rate.max_period:
            raise RequestRefused(
                f"granularity {granularity} is outside rID {description.r_id}'s sampling rate "
                f"[{rate.min_period}, {rate.max_period}]"
            )


def chosen_descriptions(metadata: Report, r_ids: Sequence[str]) -> tuple[ReportDescription, ...]:
    """The descriptions of `r_ids` (all when empty); an rID the VEN did not offer is refused."""
    if not r_ids:
        if not metadata.descriptions:
            raise RequestRefused(f"report {metadata.report_specifier_id} offers no data points")
        return metadata.descriptions
    by_id = {d.r_id: d for d in metadata.descriptions}
    unknown = [r_id for r_id in r_ids if r_id not in by_id]
    if unknown:
        raise RequestRefused(f"rIDs {unknown} are not offered by report {metadata.report_specifier_id}")
    return tuple(by_id[r_id] for r_id in dict.fromkeys(r_ids))


def build_request(
    metadata: Report,
    *,
    r_ids: Sequence[str] = (),
    granularity: timedelta,
    report_back_duration: timedelta,
    report_interval: Period | None = None,
    report_request_id: str | None = None,
) -> ReportRequest:
    """An oadrReportRequest for some (or all) data points of one offered report."""
    if granularity < ZERO or report_back_duration < ZERO:
        raise RequestRefused("granularity and reportBackDuration cannot be negative")
    descriptions = chosen_descriptions(metadata, r_ids)
    check_granularity(descriptions, granularity)
    return ReportRequest(
        report_request_id=report_request_id or new_report_request_id(),
        report_specifier=ReportSpecifier(
            report_specifier_id=metadata.report_specifier_id,
            granularity=granularity,
            report_back_duration=report_back_duration,
            report_interval=report_interval,
            specifier_payloads=tuple(
                SpecifierPayload(r_id=d.r_id, reading_type=d.reading_type, item_base=d.item_base) for d in descriptions
            ),
        ),
    )


def telemetry_requests(
    offered: Sequence[Report], granularity: timedelta, report_back_duration: timedelta
) -> list[ReportRequest]:
    """The "telemetry" policy: every TELEMETRY_USAGE and TELEMETRY_STATUS report, at the granularity
    nearest the configured one that the VEN's sampling rates allow."""
    requests = []
    for metadata in offered:
        if metadata.report_name not in TELEMETRY_METADATA or not metadata.descriptions:
            continue
        fitted = fit_granularity(metadata.descriptions, granularity)
        back = max(report_back_duration, fitted) if report_back_duration != ZERO else ZERO
        requests.append(build_request(metadata, granularity=fitted, report_back_duration=back))
    return requests


def registered_report(request_id: str, ven_id: str, requests: Sequence[ReportRequest]) -> RegisteredReport:
    """The answer to a VEN's oadrRegisterReport, with the chosen requests piggy-backed."""
    return RegisteredReport(response=ok(request_id), ven_id=ven_id, report_requests=tuple(requests))


def create_report(ven_id: str, requests: Sequence[ReportRequest], request_id: str | None = None) -> CreateReport:
    """One oadrCreateReport carrying one or more requests (their reportRequestIDs must differ)."""
    ids = [r.report_request_id for r in requests]
    if len(set(ids)) != len(ids):
        raise RequestRefused(f"reportRequestIDs must be unique in one oadrCreateReport: {ids}")
    return CreateReport(request_id=request_id or uuid.uuid4().hex, ven_id=ven_id, report_requests=tuple(requests))


def cancel_report(
    ven_id: str, report_request_ids: Sequence[str], report_to_follow: bool, request_id: str | None = None
) -> CancelReport:
    return CancelReport(
        request_id=request_id or uuid.uuid4().hex,
        report_request_ids=tuple(report_request_ids),
        report_to_follow=report_to_follow,
        ven_id=ven_id,
    )


def updated_report(request_id: str, ven_id: str, cancel: CancelReport | None = None) -> UpdatedReport:
    """The acknowledgement of an oadrUpdateReport, optionally cancelling report requests at once."""
    return UpdatedReport(response=ok(request_id), ven_id=ven_id, cancel_report=cancel)

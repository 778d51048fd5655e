"""XML mapping of the pieces of report messages: oadrReport with its oadrReportDescriptions, and
oadrReportRequest. Children are added in the order the XSD sequences require."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from shared.oadr.report_parts import (
    Report,
    ReportDescription,
    ReportRequest,
    ReportSpecifier,
    SamplingRate,
    SpecifierPayload,
)
from shared.oadr_xml.common import add_wrapped_duration
from shared.oadr_xml.namespaces import EI, EMIX, OADR, STRM, XCAL, q
from shared.oadr_xml.report_payloads import INTERVAL, R_ID, add_interval, parse_interval
from shared.oadr_xml.target import add_target, parse_target
from shared.oadr_xml.tree import Children, add, add_optional, child, required_child, required_text, text_of
from shared.oadr_xml.units import add_item_base, parse_item_base
from shared.oadr_xml.values import (
    format_bool,
    format_datetime,
    format_duration,
    parse_bool,
    parse_datetime,
    parse_duration,
)
from shared.oadr_xml.xcal import (
    DURATION,
    add_dtstart,
    add_duration_property,
    add_period,
    parse_dtstart,
    parse_duration_property,
    parse_period,
)

REPORT = q(OADR, "oadrReport")
REPORT_REQUEST = q(OADR, "oadrReportRequest")
REPORT_REQUEST_ID = q(EI, "reportRequestID")
REPORT_SPECIFIER_ID = q(EI, "reportSpecifierID")
REPORT_ID = q(EI, "eiReportID")
REPORT_NAME = q(EI, "reportName")
CREATED_DATE_TIME = q(EI, "createdDateTime")
INTERVALS = q(STRM, "intervals")
REPORT_DESCRIPTION = q(OADR, "oadrReportDescription")
REPORT_SUBJECT = q(EI, "reportSubject")
REPORT_DATA_SOURCE = q(EI, "reportDataSource")
REPORT_TYPE = q(EI, "reportType")
READING_TYPE = q(EI, "readingType")
MARKET_CONTEXT = q(EMIX, "marketContext")
SAMPLING_RATE = q(OADR, "oadrSamplingRate")
MIN_PERIOD = q(OADR, "oadrMinPeriod")
MAX_PERIOD = q(OADR, "oadrMaxPeriod")
ON_CHANGE = q(OADR, "oadrOnChange")
REPORT_SPECIFIER = q(EI, "reportSpecifier")
GRANULARITY = q(XCAL, "granularity")
REPORT_BACK_DURATION = q(EI, "reportBackDuration")
REPORT_INTERVAL = q(EI, "reportInterval")
SPECIFIER_PAYLOAD = q(EI, "specifierPayload")


def parse_report(element: etree._Element) -> Report:
    children = Children(element)
    intervals = children.first(INTERVALS)
    return Report(
        report_id=text_of(children, REPORT_ID) or None,
        report_specifier_id=required_text(children, REPORT_SPECIFIER_ID),
        report_name=text_of(children, REPORT_NAME),
        report_request_id=required_text(children, REPORT_REQUEST_ID),
        created_date_time=parse_datetime(required_text(children, CREATED_DATE_TIME)),
        dtstart=parse_dtstart(children),
        duration=parse_duration_property(children),
        descriptions=tuple(parse_report_description(item) for item in children.every(REPORT_DESCRIPTION)),
        intervals=() if intervals is None else tuple(parse_interval(item) for item in intervals.iterchildren(INTERVAL)),
    )


def add_report(parent: etree._Element, report: Report) -> None:
    element = add(parent, REPORT)
    if report.dtstart is not None:
        add_dtstart(element, report.dtstart)
    if report.duration is not None:
        add_duration_property(element, report.duration)
    if report.intervals:
        intervals = add(element, INTERVALS)
        for interval in report.intervals:
            add_interval(intervals, interval)
    add_optional(element, REPORT_ID, report.report_id)
    for description in report.descriptions:
        add_report_description(element, description)
    add(element, REPORT_REQUEST_ID, report.report_request_id)
    add(element, REPORT_SPECIFIER_ID, report.report_specifier_id)
    add_optional(element, REPORT_NAME, report.report_name)
    add(element, CREATED_DATE_TIME, format_datetime(report.created_date_time))


def parse_report_description(element: etree._Element) -> ReportDescription:
    subject = child(element, REPORT_SUBJECT)
    data_source = child(element, REPORT_DATA_SOURCE)
    sampling_rate = child(element, SAMPLING_RATE)
    return ReportDescription(
        r_id=required_text(element, R_ID),
        report_subject=None if subject is None else parse_target(subject),
        report_data_source=None if data_source is None else parse_target(data_source),
        report_type=required_text(element, REPORT_TYPE),
        item_base=parse_item_base(element),
        reading_type=required_text(element, READING_TYPE),
        market_context=text_of(element, MARKET_CONTEXT) or None,
        sampling_rate=None if sampling_rate is None else _parse_sampling_rate(sampling_rate),
    )


def add_report_description(parent: etree._Element, description: ReportDescription) -> None:
    element = add(parent, REPORT_DESCRIPTION)
    add(element, R_ID, description.r_id)
    if description.report_subject is not None:
        add_target(element, REPORT_SUBJECT, description.report_subject)
    if description.report_data_source is not None:
        add_target(element, REPORT_DATA_SOURCE, description.report_data_source)
    add(element, REPORT_TYPE, description.report_type)
    if description.item_base is not None:
        add_item_base(element, description.item_base)
    add(element, READING_TYPE, description.reading_type)
    add_optional(element, MARKET_CONTEXT, description.market_context)
    if description.sampling_rate is not None:
        rate = add(element, SAMPLING_RATE)
        add(rate, MIN_PERIOD, format_duration(description.sampling_rate.min_period))
        add(rate, MAX_PERIOD, format_duration(description.sampling_rate.max_period))
        add(rate, ON_CHANGE, format_bool(description.sampling_rate.on_change))


def _parse_sampling_rate(element: etree._Element) -> SamplingRate:
    return SamplingRate(
        min_period=parse_duration(required_text(element, MIN_PERIOD)),
        max_period=parse_duration(required_text(element, MAX_PERIOD)),
        on_change=parse_bool(required_text(element, ON_CHANGE)),
    )


def parse_report_request(element: etree._Element) -> ReportRequest:
    specifier = required_child(element, REPORT_SPECIFIER)
    interval = child(specifier, REPORT_INTERVAL)
    return ReportRequest(
        report_request_id=required_text(element, REPORT_REQUEST_ID),
        report_specifier=ReportSpecifier(
            report_specifier_id=required_text(specifier, REPORT_SPECIFIER_ID),
            granularity=_required_wrapped_duration(specifier, GRANULARITY),
            report_back_duration=_required_wrapped_duration(specifier, REPORT_BACK_DURATION),
            report_interval=None if interval is None else parse_period(interval),
            specifier_payloads=tuple(_parse_specifier_payload(item) for item in specifier.iterfind(SPECIFIER_PAYLOAD)),
        ),
    )


def add_report_request(parent: etree._Element, request: ReportRequest) -> None:
    element = add(parent, REPORT_REQUEST)
    add(element, REPORT_REQUEST_ID, request.report_request_id)
    specifier = add(element, REPORT_SPECIFIER)
    add(specifier, REPORT_SPECIFIER_ID, request.report_specifier.report_specifier_id)
    add_wrapped_duration(specifier, GRANULARITY, request.report_specifier.granularity)
    add_wrapped_duration(specifier, REPORT_BACK_DURATION, request.report_specifier.report_back_duration)
    if request.report_specifier.report_interval is not None:
        add_period(add(specifier, REPORT_INTERVAL), request.report_specifier.report_interval)
    for payload in request.report_specifier.specifier_payloads:
        _add_specifier_payload(specifier, payload)


def _required_wrapped_duration(parent: etree._Element, qname: str) -> timedelta:
    return parse_duration(required_text(required_child(parent, qname), DURATION))


def _parse_specifier_payload(element: etree._Element) -> SpecifierPayload:
    return SpecifierPayload(
        r_id=required_text(element, R_ID),
        reading_type=required_text(element, READING_TYPE),
        item_base=parse_item_base(element),
    )


def _add_specifier_payload(parent: etree._Element, payload: SpecifierPayload) -> None:
    element = add(parent, SPECIFIER_PAYLOAD)
    add(element, R_ID, payload.r_id)
    if payload.item_base is not None:
        add_item_base(element, payload.item_base)
    add(element, READING_TYPE, payload.reading_type)

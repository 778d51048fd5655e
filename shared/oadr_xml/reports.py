"""XML mapping of the report messages; all eight flow in both directions, so each is parsed and rendered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

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
from shared.oadr_xml.common import (
    REQUEST_ID,
    VEN_ID,
    add_ei_response,
    message_element,
    parse_ei_response,
)
from shared.oadr_xml.namespaces import OADR, PYLD, q
from shared.oadr_xml.report_parts import (
    REPORT,
    REPORT_REQUEST,
    REPORT_REQUEST_ID,
    add_report,
    add_report_request,
    parse_report,
    parse_report_request,
)
from shared.oadr_xml.tree import (
    add,
    add_optional,
    child,
    optional_text,
    required_child,
    required_text,
    texts_of,
)
from shared.oadr_xml.values import format_bool, parse_bool

PENDING_REPORTS = q(OADR, "oadrPendingReports")
REPORT_TO_FOLLOW = q(PYLD, "reportToFollow")
CANCEL_REPORT = q(OADR, "oadrCancelReport")


def _pending_report_request_ids(element: etree._Element) -> tuple[str, ...]:
    return texts_of(required_child(element, PENDING_REPORTS), REPORT_REQUEST_ID)


def _add_pending_reports(parent: etree._Element, report_request_ids: tuple[str, ...]) -> None:
    pending = add(parent, PENDING_REPORTS)
    for report_request_id in report_request_ids:
        add(pending, REPORT_REQUEST_ID, report_request_id)


def parse_register_report(element: etree._Element) -> RegisterReport:
    return RegisterReport(
        request_id=required_text(element, REQUEST_ID),
        ven_id=optional_text(element, VEN_ID),
        reports=tuple(parse_report(item) for item in element.iterfind(REPORT)),
        report_request_id=optional_text(element, REPORT_REQUEST_ID),
    )


def render_register_report(message: RegisterReport) -> etree._Element:
    element = message_element("oadrRegisterReport")
    add(element, REQUEST_ID, message.request_id)
    for report in message.reports:
        add_report(element, report)
    add_optional(element, VEN_ID, message.ven_id)
    add_optional(element, REPORT_REQUEST_ID, message.report_request_id)
    return element


def parse_registered_report(element: etree._Element) -> RegisteredReport:
    return RegisteredReport(
        response=parse_ei_response(element),
        ven_id=optional_text(element, VEN_ID),
        report_requests=tuple(parse_report_request(item) for item in element.iterfind(REPORT_REQUEST)),
    )


def render_registered_report(message: RegisteredReport) -> etree._Element:
    element = message_element("oadrRegisteredReport")
    add_ei_response(element, message.response)
    for request in message.report_requests:
        add_report_request(element, request)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def parse_create_report(element: etree._Element) -> CreateReport:
    return CreateReport(
        request_id=required_text(element, REQUEST_ID),
        ven_id=optional_text(element, VEN_ID),
        report_requests=tuple(parse_report_request(item) for item in element.iterfind(REPORT_REQUEST)),
    )


def render_create_report(message: CreateReport) -> etree._Element:
    element = message_element("oadrCreateReport")
    add(element, REQUEST_ID, message.request_id)
    for request in message.report_requests:
        add_report_request(element, request)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def parse_created_report(element: etree._Element) -> CreatedReport:
    return CreatedReport(
        response=parse_ei_response(element),
        ven_id=optional_text(element, VEN_ID),
        pending_report_request_ids=_pending_report_request_ids(element),
    )


def render_created_report(message: CreatedReport) -> etree._Element:
    element = message_element("oadrCreatedReport")
    add_ei_response(element, message.response)
    _add_pending_reports(element, message.pending_report_request_ids)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def parse_update_report(element: etree._Element) -> UpdateReport:
    return UpdateReport(
        request_id=required_text(element, REQUEST_ID),
        ven_id=optional_text(element, VEN_ID),
        reports=tuple(parse_report(item) for item in element.iterfind(REPORT)),
    )


def render_update_report(message: UpdateReport) -> etree._Element:
    element = message_element("oadrUpdateReport")
    add(element, REQUEST_ID, message.request_id)
    for report in message.reports:
        add_report(element, report)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def parse_cancel_report(element: etree._Element) -> CancelReport:
    return CancelReport(
        request_id=required_text(element, REQUEST_ID),
        report_request_ids=texts_of(element, REPORT_REQUEST_ID),
        report_to_follow=parse_bool(required_text(element, REPORT_TO_FOLLOW)),
        ven_id=optional_text(element, VEN_ID),
    )


def _fill_cancel_report(element: etree._Element, message: CancelReport) -> etree._Element:
    add(element, REQUEST_ID, message.request_id)
    for report_request_id in message.report_request_ids:
        add(element, REPORT_REQUEST_ID, report_request_id)
    add(element, REPORT_TO_FOLLOW, format_bool(message.report_to_follow))
    add_optional(element, VEN_ID, message.ven_id)
    return element


def render_cancel_report(message: CancelReport) -> etree._Element:
    return _fill_cancel_report(message_element("oadrCancelReport"), message)


def parse_updated_report(element: etree._Element) -> UpdatedReport:
    cancel = child(element, CANCEL_REPORT)
    return UpdatedReport(
        response=parse_ei_response(element),
        ven_id=optional_text(element, VEN_ID),
        cancel_report=None if cancel is None else parse_cancel_report(cancel),
    )


def render_updated_report(message: UpdatedReport) -> etree._Element:
    element = message_element("oadrUpdatedReport")
    add_ei_response(element, message.response)
    if message.cancel_report is not None:
        _fill_cancel_report(add(element, CANCEL_REPORT), message.cancel_report)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def parse_canceled_report(element: etree._Element) -> CanceledReport:
    return CanceledReport(
        response=parse_ei_response(element),
        ven_id=optional_text(element, VEN_ID),
        pending_report_request_ids=_pending_report_request_ids(element),
    )


def render_canceled_report(message: CanceledReport) -> etree._Element:
    element = message_element("oadrCanceledReport")
    add_ei_response(element, message.response)
    _add_pending_reports(element, message.pending_report_request_ids)
    add_optional(element, VEN_ID, message.ven_id)
    return element


PARSERS: Mapping[str, Callable[[etree._Element], Any]] = {
    "oadrRegisterReport": parse_register_report,
    "oadrRegisteredReport": parse_registered_report,
    "oadrCreateReport": parse_create_report,
    "oadrCreatedReport": parse_created_report,
    "oadrUpdateReport": parse_update_report,
    "oadrUpdatedReport": parse_updated_report,
    "oadrCancelReport": parse_cancel_report,
    "oadrCanceledReport": parse_canceled_report,
}
RENDERERS: Mapping[str, Callable[[Any], etree._Element]] = {
    "oadrRegisterReport": render_register_report,
    "oadrRegisteredReport": render_registered_report,
    "oadrCreateReport": render_create_report,
    "oadrCreatedReport": render_created_report,
    "oadrUpdateReport": render_update_report,
    "oadrUpdatedReport": render_updated_report,
    "oadrCancelReport": render_cancel_report,
    "oadrCanceledReport": render_canceled_report,
}

"""XML mapping of the opt messages: a VEN creates and cancels opts, the VTN acknowledges them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from lxml import etree

from shared.oadr.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt, OptType
from shared.oadr.period import Period
from shared.oadr_xml.common import REQUEST_ID, VEN_ID, add_ei_response, message_element
from shared.oadr_xml.namespaces import EI, EMIX, OADR, XCAL, q
from shared.oadr_xml.target import parse_target
from shared.oadr_xml.tree import add, add_optional, child, required_child, required_text, text_of
from shared.oadr_xml.values import parse_datetime, parse_int
from shared.oadr_xml.xcal import parse_period

OPT_ID = q(EI, "optID")
QUALIFIED_EVENT_ID = q(EI, "qualifiedEventID")
VAVAILABILITY = q(XCAL, "vavailability")


def _availability(element: etree._Element) -> tuple[Period, ...]:
    vavailability = child(element, VAVAILABILITY)
    if vavailability is None:
        return ()
    components = required_child(vavailability, q(XCAL, "components"))
    return tuple(parse_period(available) for available in components.iterfind(q(XCAL, "available")))


def parse_create_opt(element: etree._Element) -> CreateOpt:
    qualified_event_id = child(element, QUALIFIED_EVENT_ID)
    device_class = child(element, q(OADR, "oadrDeviceClass"))
    return CreateOpt(
        request_id=required_text(element, REQUEST_ID),
        opt_id=required_text(element, OPT_ID),
        opt_type=cast(OptType, required_text(element, q(EI, "optType"))),
        opt_reason=required_text(element, q(EI, "optReason")),
        market_context=text_of(element, q(EMIX, "marketContext")) or None,
        ven_id=required_text(element, VEN_ID),
        vavailability=_availability(element),
        created_date_time=parse_datetime(required_text(element, q(EI, "createdDateTime"))),
        event_id=None if qualified_event_id is None else required_text(qualified_event_id, q(EI, "eventID")),
        modification_number=(
            None
            if qualified_event_id is None
            else parse_int(required_text(qualified_event_id, q(EI, "modificationNumber")))
        ),
        targets=parse_target(required_child(element, q(EI, "eiTarget"))),
        device_class=None if device_class is None else parse_target(device_class),
    )


def parse_cancel_opt(element: etree._Element) -> CancelOpt:
    return CancelOpt(
        request_id=required_text(element, REQUEST_ID),
        opt_id=required_text(element, OPT_ID),
        ven_id=required_text(element, VEN_ID),
    )


def render_created_opt(message: CreatedOpt) -> etree._Element:
    element = message_element("oadrCreatedOpt")
    add_ei_response(element, message.response)
    add(element, OPT_ID, message.opt_id)
    return element


def render_canceled_opt(message: CanceledOpt) -> etree._Element:
    element = message_element("oadrCanceledOpt")
    add_ei_response(element, message.response)
    add_optional(element, OPT_ID, message.opt_id)
    return element


PARSERS: Mapping[str, Callable[[etree._Element], Any]] = {
    "oadrCreateOpt": parse_create_opt,
    "oadrCancelOpt": parse_cancel_opt,
}
RENDERERS: Mapping[str, Callable[[Any], etree._Element]] = {
    "oadrCreatedOpt": render_created_opt,
    "oadrCanceledOpt": render_canceled_opt,
}

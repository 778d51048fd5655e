"""XML mapping of the EiEvent service: oadrRequestEvent and oadrCreatedEvent in, oadrDistributeEvent out.

The 2.0a codec (shared.oadr_xml.profile_a) uses the same mapping: the EiEvent messages of both profiles are
made of the same Energy Interoperation elements, only the oadr-namespaced ones (the message, oadrEvent,
oadrResponseRequired) change namespace, and a 2.0a VEN's events are first reduced to what 2.0a carries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from lxml import etree

from shared.oadr.event import (
    ActivePeriod,
    CreatedEvent,
    DistributeEvent,
    Event,
    EventDescriptor,
    EventResponse,
    RequestEvent,
)
from shared.oadr.opt import OptType
from shared.oadr_xml.common import (
    REQUEST_ID,
    VEN_ID,
    VTN_ID,
    add_ei_response,
    add_wrapped_duration,
    message_element,
    parse_ei_response,
)
from shared.oadr_xml.namespaces import EI, EMIX, OADR, PYLD, XCAL, XSI, q
from shared.oadr_xml.signal import EI_TARGET, add_event_signals
from shared.oadr_xml.target import add_target
from shared.oadr_xml.tree import add, add_optional, child, required_child, required_text, text_of
from shared.oadr_xml.values import format_bool, format_datetime, format_duration, parse_int
from shared.oadr_xml.xcal import PROPERTIES, add_dtstart, add_duration_property

EVENT_ID = q(EI, "eventID")
MODIFICATION_NUMBER = q(EI, "modificationNumber")
RESPONSE_CODE = q(EI, "responseCode")
OPT_TYPE = q(EI, "optType")
X_EI_NOTIFICATION = q(EI, "x-eiNotification")
X_EI_RAMP_UP = q(EI, "x-eiRampUp")
X_EI_RECOVERY = q(EI, "x-eiRecovery")


def parse_request_event(element: etree._Element) -> RequestEvent:
    body = required_child(element, q(PYLD, "eiRequestEvent"))
    reply_limit = text_of(body, q(PYLD, "replyLimit"))
    return RequestEvent(
        request_id=required_text(body, REQUEST_ID),
        ven_id=required_text(body, VEN_ID),
        reply_limit=None if reply_limit is None else parse_int(reply_limit),
    )


def _parse_event_response(element: etree._Element) -> EventResponse:
    qualified_event_id = required_child(element, q(EI, "qualifiedEventID"))
    return EventResponse(
        response_code=parse_int(required_text(element, RESPONSE_CODE)),
        response_description=text_of(element, q(EI, "responseDescription")),
        request_id=text_of(element, REQUEST_ID) or None,
        event_id=required_text(qualified_event_id, EVENT_ID),
        modification_number=parse_int(required_text(qualified_event_id, MODIFICATION_NUMBER)),
        opt_type=cast(OptType, required_text(element, OPT_TYPE)),
    )


def parse_created_event(element: etree._Element) -> CreatedEvent:
    body = required_child(element, q(PYLD, "eiCreatedEvent"))
    responses = child(body, q(EI, "eventResponses"))
    return CreatedEvent(
        response=parse_ei_response(body),
        ven_id=required_text(body, VEN_ID),
        event_responses=()
        if responses is None
        else tuple(_parse_event_response(item) for item in responses.iterfind(q(EI, "eventResponse"))),
    )


def _add_descriptor(parent: etree._Element, descriptor: EventDescriptor) -> None:
    element = add(parent, q(EI, "eventDescriptor"))
    add(element, EVENT_ID, descriptor.event_id)
    add(element, MODIFICATION_NUMBER, str(descriptor.modification_number))
    if descriptor.modification_date_time is not None:
        add(element, q(EI, "modificationDateTime"), format_datetime(descriptor.modification_date_time))
    add_optional(element, q(EI, "modificationReason"), descriptor.modification_reason)
    if descriptor.priority is not None:
        add(element, q(EI, "priority"), str(descriptor.priority))
    add(add(element, q(EI, "eiMarketContext")), q(EMIX, "marketContext"), descriptor.market_context)
    add(element, q(EI, "createdDateTime"), format_datetime(descriptor.created_date_time))
    add(element, q(EI, "eventStatus"), str(descriptor.event_status))
    if descriptor.test_event:
        add(element, q(EI, "testEvent"), format_bool(True))
    add_optional(element, q(EI, "vtnComment"), descriptor.vtn_comment)


def _add_active_period(parent: etree._Element, period: ActivePeriod) -> None:
    element = add(parent, q(EI, "eiActivePeriod"))
    properties = add(element, PROPERTIES)
    add_dtstart(properties, period.dtstart)
    add_duration_property(properties, period.duration)
    if period.start_after is not None:
        tolerate = add(add(properties, q(XCAL, "tolerance")), q(XCAL, "tolerate"))
        add(tolerate, q(XCAL, "startafter"), format_duration(period.start_after))
    for qname, value in (
        (X_EI_NOTIFICATION, period.x_ei_notification),
        (X_EI_RAMP_UP, period.x_ei_ramp_up),
        (X_EI_RECOVERY, period.x_ei_recovery),
    ):
        if value is not None:
            add_wrapped_duration(properties, qname, value)
    # The schema requires xcal:components; an event has none, written as the spec's examples do.
    add(element, q(XCAL, "components")).set(q(XSI, "nil"), "true")


def _add_event(parent: etree._Element, event: Event, namespace: str) -> None:
    oadr_event = add(parent, q(namespace, "oadrEvent"))
    ei_event = add(oadr_event, q(EI, "eiEvent"))
    _add_descriptor(ei_event, event.descriptor)
    _add_active_period(ei_event, event.active_period)
    add_event_signals(ei_event, event.signals, event.baseline)
    add_target(ei_event, EI_TARGET, event.targets)
    add(oadr_event, q(namespace, "oadrResponseRequired"), str(event.response_required))


def render_distribute_event(message: DistributeEvent, namespace: str = OADR) -> etree._Element:
    """oadrDistributeEvent in the profile of `namespace` (2.0b's by default)."""
    element = message_element("oadrDistributeEvent", namespace)
    if message.response is not None:
        add_ei_response(element, message.response)
    add(element, REQUEST_ID, message.request_id)
    add(element, VTN_ID, message.vtn_id)
    for event in message.events:
        _add_event(element, event, namespace)
    return element


PARSERS: Mapping[str, Callable[[etree._Element], Any]] = {
    "oadrRequestEvent": parse_request_event,
    "oadrCreatedEvent": parse_created_event,
}
RENDERERS: Mapping[str, Callable[[Any], etree._Element]] = {
    "oadrDistributeEvent": render_distribute_event,
}

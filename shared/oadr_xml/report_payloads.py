"""XML mapping of report data: ei:interval with its oadrReportPayloads, each a payloadFloat or an
oadrPayloadResourceStatus. Children are added in the order the XSD sequences require."""

from __future__ import annotations

from lxml import etree

from shared.oadr.report_parts import (
    LoadControlLevel,
    LoadControlState,
    ReportInterval,
    ReportPayload,
    ResourceStatus,
)
from shared.oadr_xml.errors import SchemaViolation
from shared.oadr_xml.namespaces import EI, OADR, q
from shared.oadr_xml.tree import Children, add, add_optional, child, required_child, required_text, text_of
from shared.oadr_xml.values import format_bool, parse_bool, parse_float, parse_int
from shared.oadr_xml.xcal import (
    add_dtstart,
    add_duration_property,
    add_uid,
    parse_dtstart,
    parse_duration_property,
    parse_uid,
)

INTERVAL = q(EI, "interval")
REPORT_PAYLOAD = q(OADR, "oadrReportPayload")
R_ID = q(EI, "rID")
CONFIDENCE = q(EI, "confidence")
ACCURACY = q(EI, "accuracy")
PAYLOAD_FLOAT = q(EI, "payloadFloat")
VALUE = q(EI, "value")
DATA_QUALITY = q(OADR, "oadrDataQuality")
RESOURCE_STATUS = q(OADR, "oadrPayloadResourceStatus")
ONLINE = q(OADR, "oadrOnline")
MANUAL_OVERRIDE = q(OADR, "oadrManualOverride")
LOAD_CONTROL_STATE = q(OADR, "oadrLoadControlState")

# oadrLoadControlState children, in schema order, and the LoadControlState field each fills.
_LOAD_CONTROLS = (
    ("oadrCapacity", "capacity"),
    ("oadrLevelOffset", "level_offset"),
    ("oadrPercentOffset", "percent_offset"),
    ("oadrSetPoint", "set_point"),
)
# oadrLoadControlStateTypeType children, in schema order, and the LoadControlLevel field each fills.
_LEVEL_VALUES = (("oadrMin", "minimum"), ("oadrMax", "maximum"), ("oadrCurrent", "current"), ("oadrNormal", "normal"))


def parse_interval(element: etree._Element) -> ReportInterval:
    children = Children(element)
    payloads = tuple(parse_report_payload(item) for item in children.every(REPORT_PAYLOAD))
    if not payloads:
        raise SchemaViolation("a report interval must carry an oadrReportPayload")
    return ReportInterval(
        dtstart=parse_dtstart(children),
        duration=parse_duration_property(children),
        uid=parse_uid(children),
        payloads=payloads,
    )


def add_interval(parent: etree._Element, interval: ReportInterval) -> None:
    element = add(parent, INTERVAL)
    if interval.dtstart is not None:
        add_dtstart(element, interval.dtstart)
    if interval.duration is not None:
        add_duration_property(element, interval.duration)
    if interval.uid is not None:
        add_uid(element, interval.uid)
    for payload in interval.payloads:
        add_report_payload(element, payload)


def parse_report_payload(element: etree._Element) -> ReportPayload:
    children = Children(element)
    status = children.first(RESOURCE_STATUS)
    confidence = text_of(children, CONFIDENCE)
    accuracy = text_of(children, ACCURACY)
    return ReportPayload(
        r_id=required_text(children, R_ID),
        value=(
            parse_float(required_text(required_child(children, PAYLOAD_FLOAT), VALUE))
            if status is None
            else _parse_resource_status(status)
        ),
        confidence=None if confidence is None else parse_int(confidence),
        accuracy=None if accuracy is None else parse_float(accuracy),
        data_quality=text_of(children, DATA_QUALITY),
    )


def add_report_payload(parent: etree._Element, payload: ReportPayload) -> None:
    element = add(parent, REPORT_PAYLOAD)
    add(element, R_ID, payload.r_id)
    if payload.confidence is not None:
        add(element, CONFIDENCE, str(payload.confidence))
    if payload.accuracy is not None:
        add(element, ACCURACY, repr(payload.accuracy))
    if isinstance(payload.value, ResourceStatus):
        _add_resource_status(element, payload.value)
    else:
        add(add(element, PAYLOAD_FLOAT), VALUE, repr(payload.value))
    add_optional(element, DATA_QUALITY, payload.data_quality)


def _parse_resource_status(element: etree._Element) -> ResourceStatus:
    state = child(element, LOAD_CONTROL_STATE)
    return ResourceStatus(
        online=parse_bool(required_text(element, ONLINE)),
        manual_override=parse_bool(required_text(element, MANUAL_OVERRIDE)),
        load_control_state=None if state is None else _parse_load_control_state(state),
    )


def _add_resource_status(parent: etree._Element, status: ResourceStatus) -> None:
    element = add(parent, RESOURCE_STATUS)
    add(element, ONLINE, format_bool(status.online))
    add(element, MANUAL_OVERRIDE, format_bool(status.manual_override))
    if status.load_control_state is not None:
        _add_load_control_state(element, status.load_control_state)


def _parse_load_control_state(element: etree._Element) -> LoadControlState:
    levels: dict[str, LoadControlLevel] = {}
    for local_name, field in _LOAD_CONTROLS:
        level_element = child(element, q(OADR, local_name))
        if level_element is not None:
            values = {
                value_field: parse_float(text)
                for value_name, value_field in _LEVEL_VALUES
                if (text := text_of(level_element, q(OADR, value_name))) is not None
            }
            levels[field] = LoadControlLevel.model_validate(values)
    return LoadControlState.model_validate(levels)


def _add_load_control_state(parent: etree._Element, state: LoadControlState) -> None:
    element = add(parent, LOAD_CONTROL_STATE)
    for local_name, field in _LOAD_CONTROLS:
        level: LoadControlLevel | None = getattr(state, field)
        if level is None:
            continue
        level_element = add(element, q(OADR, local_name))
        for value_name, value_field in _LEVEL_VALUES:
            value: float | None = getattr(level, value_field)
            if value is not None:
                add(level_element, q(OADR, value_name), repr(value))

"""Codec pieces of WS-Calendar (xcal): dtstart, duration, uid and the properties block of a Period."""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from shared.oadr.period import Period
from shared.oadr_xml.common import add_wrapped_duration, parse_wrapped_duration
from shared.oadr_xml.namespaces import XCAL, q
from shared.oadr_xml.tree import Parent, add, child, required_child, required_text
from shared.oadr_xml.values import format_datetime, parse_datetime, parse_duration

DTSTART = q(XCAL, "dtstart")
DATE_TIME = q(XCAL, "date-time")
DURATION = q(XCAL, "duration")
UID = q(XCAL, "uid")
TEXT = q(XCAL, "text")
PROPERTIES = q(XCAL, "properties")


def parse_dtstart(parent: Parent) -> datetime | None:
    """Read `<xcal:dtstart><xcal:date-time>...</xcal:date-time></xcal:dtstart>` when present."""
    dtstart = child(parent, DTSTART)
    if dtstart is None:
        return None
    return parse_datetime(required_text(dtstart, DATE_TIME))


def add_dtstart(parent: etree._Element, value: datetime) -> None:
    add(add(parent, DTSTART), DATE_TIME, format_datetime(value))


def parse_duration_property(parent: Parent) -> timedelta | None:
    """Read `<xcal:duration><xcal:duration>PT1H</xcal:duration></xcal:duration>` when present."""
    return parse_wrapped_duration(parent, DURATION)


def add_duration_property(parent: etree._Element, value: timedelta) -> None:
    add_wrapped_duration(parent, DURATION, value)


def parse_uid(parent: Parent) -> str | None:
    uid = child(parent, UID)
    if uid is None:
        return None
    return required_text(uid, TEXT)


def add_uid(parent: etree._Element, value: str) -> None:
    add(add(parent, UID), TEXT, value)


def parse_period(parent: etree._Element) -> Period:
    """Read the Period held in the xcal:properties child of `parent` (xcal:WsCalendarIntervalType)."""
    properties = required_child(parent, PROPERTIES)
    return Period(
        dtstart=parse_datetime(required_text(required_child(properties, DTSTART), DATE_TIME)),
        duration=parse_duration(required_text(required_child(properties, DURATION), DURATION)),
    )


def add_period(parent: etree._Element, period: Period) -> None:
    properties = add(parent, PROPERTIES)
    add_dtstart(properties, period.dtstart)
    add_duration_property(properties, period.duration)

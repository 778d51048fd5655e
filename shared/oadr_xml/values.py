"""Conversions between XML Schema lexical values and Python values (xs:duration, xs:dateTime, xs:boolean)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from shared.oadr_xml.errors import SchemaViolation

_DURATION = re.compile(
    r"^(?P<sign>[+-])?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse the xs:duration forms OpenADR uses (no years or months: they have no fixed length). A bare "P"
    or "PT" is zero: the 2.0b schema's duration pattern admits them, and OpenLEADR writes a zero duration
    (a one-shot report's granularity) as "P"."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise SchemaViolation(f"unsupported duration {text!r}")
    parts = match.groupdict()
    value = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=float(parts["seconds"] or 0),
    )
    return -value if parts["sign"] == "-" else value


def format_duration(value: timedelta) -> str:
    """Render a timedelta as xs:duration, e.g. PT10S, PT1H30M, P1DT2H, PT0S."""
    sign = "-" if value < timedelta(0) else ""
    total = abs(value)
    days = total.days
    seconds = total.seconds
    micro = total.microseconds
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if seconds or micro:
        time_part += f"{seconds}.{micro:06d}".rstrip("0").rstrip(".") + "S"
    if time_part:
        out += "T" + time_part
    elif not days:
        out += "T0S"
    return out


def parse_datetime(text: str) -> datetime:
    """Parse xs:dateTime; a value without offset is taken as UTC, as OpenADR requires UTC anyway."""
    raw = text.strip()
    if raw.endswith("Z") or raw.endswith("z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SchemaViolation(f"invalid dateTime {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Render a datetime as UTC xs:dateTime with a Z suffix (milliseconds kept when present)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bool(text: str) -> bool:
    raw = text.strip().lower()
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise SchemaViolation(f"invalid boolean {text!r}")


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_float(text: str) -> float:
    """Parse xs:float, refusing INF and NaN: the models (and their JSON on Kafka) hold finite numbers only."""
    try:
        value = float(text.strip())
    except ValueError:
        raise SchemaViolation(f"invalid number {text!r}") from None
    if not math.isfinite(value):
        raise SchemaViolation(f"number {text!r} is not finite")
    return value


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise SchemaViolation(f"invalid integer {text!r}") from None

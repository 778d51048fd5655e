"""The values of the VTN's own reports: from the operator's `on_request_report` handler, or by default the
VTN's own status for x-resourceStatus data points.

OpenLEADR's server names an `on_request_report` hook but never calls it; here it is called per data point
and report, the way OpenLEADR's client calls the data callbacks of its `add_report`:
- with no parameters ("incremental"): returns the current value;
- otherwise with those of these keywords its signature accepts ("full"): `date_from`, `date_to`,
  `sampling_interval` (the request's granularity), `ven_id`, `report_request_id`, `report_specifier_id`,
  `r_id`; returns a list of `(datetime, value)`, or a single value for the whole span.
A value is a number (payloadFloat) or, for status points, a dict `{"online", "manual_override"}` or a
`ResourceStatus`; None means no data now (the report is then not sent, and the next one covers the span).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from report_svc.own_reports.catalog import VtnDataPoint
from report_svc.own_reports.schedule import ZERO, Window
from shared.oadr.report_parts import ReportInterval, ReportPayload, ResourceStatus
from shared.plugins import call_handler

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
KEYWORDS = ("date_from", "date_to", "sampling_interval", "ven_id", "report_request_id", "report_specifier_id", "r_id")
VTN_STATUS = ResourceStatus(online=True, manual_override=False)


class BadValue(ValueError):
    """A handler returned something that is not a report value."""


def report_value(value: Any) -> float | ResourceStatus:
    if isinstance(value, ResourceStatus):
        return value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        try:
            return ResourceStatus.model_validate(value)
        except ValueError as exc:
            raise BadValue(f"not a resource status: {value!r}") from exc
    raise BadValue(f"not a report value: {value!r}")


def one_reading(
    window: Window, value: float | ResourceStatus
) -> list[tuple[datetime, timedelta | None, float | ResourceStatus]]:
    """A single value for a window: one interval over its last granularity (the whole window if zero)."""
    start = (
        max(window.date_from, window.date_to - window.granularity) if window.granularity > ZERO else window.date_from
    )
    duration = window.date_to - start
    return [(start, duration if duration > ZERO else None, value)]


def readings_of(answer: Any, window: Window) -> list[tuple[datetime, timedelta | None, float | ResourceStatus]]:
    """What a handler returned, as (dtstart, duration, value) inside the window, oldest first."""
    if answer is None:
        return []
    if not isinstance(answer, (list, tuple)):
        return one_reading(window, report_value(answer))
    found = []
    for item in answer:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], datetime)):
            raise BadValue(f"expected (datetime, value) pairs, got {item!r}")
        if item[1] is None:
            continue
        duration = window.granularity if window.granularity > ZERO else None
        found.append((item[0], duration, report_value(item[1])))
    return sorted(found, key=lambda reading: reading[0])


@dataclass(frozen=True)
class ReadingRequest:
    ven_id: str
    report_request_id: str
    report_specifier_id: str
    point: VtnDataPoint
    window: Window


class VtnReportSource:
    def __init__(self, on_request_report: Handler | None) -> None:
        self._handler = on_request_report
        self._accepts: tuple[str, ...] = ()
        if on_request_report is not None:
            parameters = inspect.signature(on_request_report).parameters
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
            self._accepts = KEYWORDS if takes_any else tuple(k for k in KEYWORDS if k in parameters)

    async def intervals(self, requests: list[ReadingRequest]) -> list[ReportInterval]:
        """The report intervals for these data points of one report, by dtstart then rID order."""
        by_start: dict[datetime, list[tuple[timedelta | None, ReportPayload]]] = {}
        for request in requests:
            for dtstart, duration, value in await self._readings(request):
                by_start.setdefault(dtstart, []).append((duration, ReportPayload(r_id=request.point.r_id, value=value)))
        return [
            ReportInterval(dtstart=start, duration=entries[0][0], payloads=tuple(p for _, p in entries))
            for start, entries in sorted(by_start.items())
        ]

    async def _readings(
        self, request: ReadingRequest
    ) -> list[tuple[datetime, timedelta | None, float | ResourceStatus]]:
        handler = self._handler
        if handler is None:
            return one_reading(request.window, VTN_STATUS) if request.point.is_status else []
        window = request.window
        arguments = {
            "date_from": window.date_from,
            "date_to": window.date_to,
            "sampling_interval": window.granularity,
            "ven_id": request.ven_id,
            "report_request_id": request.report_request_id,
            "report_specifier_id": request.report_specifier_id,
            "r_id": request.point.r_id,
        }
        try:
            answer = await call_handler(partial(handler, **{k: arguments[k] for k in self._accepts}))
            return readings_of(answer, window)
        except Exception as exc:
            log.exception(
                "on_request_report failed",
                extra={"action": "vtn_report_handler_failed", "ven_id": request.ven_id, "error": repr(exc)},
            )
            return []

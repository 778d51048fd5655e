"""OpenLEADR-compatible report handlers: `on_register_report` decides what to request, report callbacks and
`on_update_report` receive the data, with the arguments and return values OpenLEADR's server uses.

`on_register_report` comes in OpenLEADR's two forms, told apart by its signature as OpenLEADR does:
- compact: `(ven_id, resource_id, measurement, unit, scale, min_sampling_interval, max_sampling_interval)`,
  called per data point of each TELEMETRY_USAGE/TELEMETRY_STATUS report, returns None or
  `(callback, sampling_interval)` or `(callback, sampling_interval, reporting_interval)`;
- full: `(report)` with the METADATA report as OpenLEADR's dict, returns None or a list of
  `(r_id, callback, sampling_interval[, reporting_interval])`.
A callback gets `[(dtstart, value), ...]` for its data point. OpenLEADR keeps callbacks in memory only;
here a module-level function is also stored by name, so it keeps receiving data after a restart.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from report_svc.ven_reports.requests_to_vens import TELEMETRY_METADATA, RequestRefused, fit_granularity
from shared.contract.reports import ReportData
from shared.oadr.report_parts import Report, ReportDescription, ReportName, ResourceStatus
from shared.oadr.target import Target
from shared.plugins import call_handler, load_callable

log = logging.getLogger(__name__)

COMPACT_PARAMETERS = frozenset(
    {"ven_id", "resource_id", "measurement", "min_sampling_interval", "max_sampling_interval", "unit", "scale"}
)
Callback = Callable[..., Any]


@dataclass(frozen=True)
class HandlerChoice:
    """What an `on_register_report` handler asked for in one offered report."""

    metadata: Report
    r_ids: tuple[str, ...]
    granularity: timedelta
    report_back_duration: timedelta
    callbacks: dict[str, Callback] = field(default_factory=dict)


def is_compact(handler: Callback) -> bool:
    return COMPACT_PARAMETERS <= set(inspect.signature(handler).parameters)


def _target_dict(target: Target | None) -> dict[str, Any]:
    if target is None or not target.resource_ids:
        return {}
    return {"resource_id": target.resource_ids[0] if len(target.resource_ids) == 1 else list(target.resource_ids)}


def description_dict(description: ReportDescription) -> dict[str, Any]:
    found: dict[str, Any] = {
        "r_id": description.r_id,
        "report_type": description.report_type,
        "reading_type": description.reading_type,
        "report_subject": _target_dict(description.report_subject),
        "report_data_source": _target_dict(description.report_data_source),
    }
    if description.market_context is not None:
        found["market_context"] = description.market_context
    if description.item_base is not None:
        base = description.item_base
        measurement: dict[str, Any] = {
            "name": base.name,
            "description": base.description,
            "unit": base.units,
            "scale": base.si_scale_code,
        }
        if base.power_attributes is not None:
            measurement["power_attributes"] = base.power_attributes.model_dump()
        found["measurement"] = measurement
    if description.sampling_rate is not None:
        found["sampling_rate"] = description.sampling_rate.model_dump()
    return found


def metadata_dict(report: Report) -> dict[str, Any]:
    """A METADATA report as OpenLEADR's parser gives it to handlers."""
    found: dict[str, Any] = {
        "report_specifier_id": report.report_specifier_id,
        "report_name": report.report_name,
        "report_request_id": report.report_request_id,
        "created_date_time": report.created_date_time,
        "report_descriptions": [description_dict(d) for d in report.descriptions],
    }
    if report.dtstart is not None:
        found["dtstart"] = report.dtstart
    if report.duration is not None:
        found["duration"] = report.duration
    return found


def _value(value: float | ResourceStatus) -> Any:
    return value.model_dump() if isinstance(value, ResourceStatus) else value


def data_report_dict(records: Sequence[ReportData]) -> dict[str, Any]:
    """The records of one report as the oadrReport dict OpenLEADR passes to `on_update_report`."""
    first = records[0]
    return {
        "report_request_id": first.report_request_id,
        "report_specifier_id": first.report_specifier_id,
        "report_name": first.report_name,
        "created_date_time": first.received_at,
        "dtstart": min(r.dtstart for r in records),
        "intervals": [
            {
                "dtstart": r.dtstart,
                **({"duration": r.duration} if r.duration is not None else {}),
                "report_payload": {"r_id": r.r_id, "value": _value(r.value)},
            }
            for r in records
        ],
    }


def callback_values(records: Sequence[ReportData]) -> list[tuple[Any, Any]]:
    return [(r.dtstart, _value(r.value)) for r in records]


def callable_reference(callback: Callback) -> str | None:
    """'module:qualname' when that name finds this very callable again (so it survives restarts)."""
    module, qualname = getattr(callback, "__module__", None), getattr(callback, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    reference = f"{module}:{qualname}"
    try:
        return reference if load_callable(reference) is callback else None
    except (ImportError, AttributeError, ValueError):
        return None


def _valid_tuple(item: Any, lengths: tuple[int, ...]) -> bool:
    return isinstance(item, tuple) and len(item) in lengths


async def choices_from_handler(handler: Callback, ven_id: str, offered: Sequence[Report]) -> list[HandlerChoice]:
    """Ask `handler` about every telemetry report offered, as OpenLEADR does (other reports are skipped)."""
    compact = is_compact(handler)
    choices = []
    for metadata in offered:
        if metadata.report_name not in TELEMETRY_METADATA or not metadata.descriptions:
            continue
        if compact:
            picked = await _ask_compact(handler, ven_id, metadata)
        else:
            picked = _full_answers(await call_handler(handler, metadata_dict(metadata)), metadata)
        if not picked:
            continue
        try:
            choices.append(_choice(metadata, picked))
        except RequestRefused as refused:
            log.error("cannot request this report", extra={"action": "report_request_skipped", "error": refused.detail})
    return choices


async def _ask_compact(
    handler: Callback, ven_id: str, metadata: Report
) -> list[tuple[str, Callback, timedelta, timedelta]]:
    status = metadata.report_name == ReportName.METADATA_TELEMETRY_STATUS
    picked = []
    for description in metadata.descriptions:
        rate, base = description.sampling_rate, description.item_base
        answer = handler(
            ven_id=ven_id,
            resource_id=_target_dict(description.report_data_source).get("resource_id"),
            measurement="Status" if status or base is None else base.description,
            unit=None if status or base is None else base.units,
            scale=None if status or base is None else base.si_scale_code,
            min_sampling_interval=rate.min_period if rate is not None else None,
            max_sampling_interval=rate.max_period if rate is not None else None,
        )
        if inspect.isawaitable(answer):
            answer = await answer
        if answer is None:
            continue
        if not _valid_tuple(answer, (2, 3)) or not callable(answer[0]) or not isinstance(answer[1], timedelta):
            log.error(
                "on_register_report must return None, (callback, sampling_interval) or"
                " (callback, sampling_interval, reporting_interval)",
                extra={"action": "report_handler_bad_answer", "answer": repr(answer)},
            )
            continue
        reporting = answer[2] if len(answer) == 3 else answer[1]
        picked.append((description.r_id, answer[0], answer[1], reporting))
    return picked


def _full_answers(answer: Any, metadata: Report) -> list[tuple[str, Callback, timedelta, timedelta]]:
    if answer is None:
        return []
    if not isinstance(answer, list):
        log.error(
            "on_register_report must return a list of tuples or None", extra={"action": "report_handler_bad_answer"}
        )
        return []
    offered = {d.r_id for d in metadata.descriptions}
    picked = []
    for item in answer:
        if item is None:
            continue
        if not _valid_tuple(item, (3, 4)) or not callable(item[1]) or not isinstance(item[2], timedelta):
            log.error(
                "on_register_report must return (r_id, callback, sampling_interval[, reporting_interval]) tuples",
                extra={"action": "report_handler_bad_answer", "answer": repr(item)},
            )
            continue
        if item[0] not in offered:
            log.error(
                "on_register_report asked for an rID the VEN did not offer",
                extra={"action": "report_handler_bad_answer", "r_id": item[0]},
            )
            continue
        picked.append((item[0], item[1], item[2], item[3] if len(item) == 4 else item[2]))
    return picked


def _choice(metadata: Report, picked: list[tuple[str, Callback, timedelta, timedelta]]) -> HandlerChoice:
    """One request per report: OpenADR has one granularity per request, so the finest asked for wins,
    fitted into what the VEN's sampling rates allow."""
    r_ids = tuple(dict.fromkeys(r_id for r_id, _, _, _ in picked))
    chosen = [d for d in metadata.descriptions if d.r_id in r_ids]
    granularity = fit_granularity(chosen, min(sampling for _, _, sampling, _ in picked))
    back = max(reporting for _, _, _, reporting in picked)
    return HandlerChoice(
        metadata=metadata,
        r_ids=r_ids,
        granularity=granularity,
        report_back_duration=max(back, granularity) if back > timedelta(0) else back,
        callbacks={r_id: callback for r_id, callback, _, _ in picked},
    )

"""New report data reaches the operator's callbacks (by rID) or `on_update_report` (whole report), and a
failing handler does not refuse data that is already accepted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from report_svc.ven_reports.report_data import RequestedReport, RequestStatus, records_of
from report_svc.ven_reports.requests_to_vens import build_request
from report_svc.ven_reports.updates.handlers import UpdateHandlers
from shared.contract.reports import ReportData
from shared.oadr.report_parts import Report, ReportInterval, ReportPayload
from tests.report_svc.metadata import NOW, STATUS, USAGE

MINUTE = timedelta(minutes=1)
USAGE_REQUEST = build_request(USAGE, granularity=MINUTE, report_back_duration=MINUTE)
STATUS_REQUEST = build_request(STATUS, granularity=timedelta(0), report_back_duration=timedelta(0))
received: list[Any] = []


def stored_callback(values: list[tuple[Any, Any]]) -> None:
    received.append(("stored", values))


def requested(stored: dict[str, dict[str, str]]) -> dict[str, RequestedReport]:
    """The requests as read from the database, with the callbacks `stored` names for them."""
    return {
        r.report_request_id: RequestedReport(
            "ven-1", name, RequestStatus.CREATED, False, r, stored.get(r.report_request_id, {})
        )
        for r, name in ((USAGE_REQUEST, "TELEMETRY_USAGE"), (STATUS_REQUEST, "TELEMETRY_STATUS"))
    }


def records() -> list[ReportData]:
    def report(request_id: str, spec: str, r_ids: list[str]) -> Report:
        return Report(
            report_specifier_id=spec,
            report_request_id=request_id,
            created_date_time=NOW,
            intervals=tuple(
                ReportInterval(
                    dtstart=NOW + i * MINUTE, payloads=tuple(ReportPayload(r_id=r, value=float(i)) for r in r_ids)
                )
                for i in range(2)
            ),
        )

    return records_of(
        "ven-1",
        [
            report(USAGE_REQUEST.report_request_id, "usage-spec", ["power", "voltage"]),
            report(STATUS_REQUEST.report_request_id, "status-spec", ["status"]),
        ],
        requested({}),
        NOW,
    )


async def test_callbacks_get_their_rids_values_and_on_update_report_gets_the_other_reports() -> None:
    calls: list[Any] = []

    async def on_update_report(report: dict[str, Any]) -> None:
        calls.append(("on_update_report", report["report_request_id"], len(report["intervals"])))

    handlers = UpdateHandlers(on_update_report)
    handlers.remember(USAGE_REQUEST.report_request_id, "power", lambda values: calls.append(("power", values)))
    await handlers.deliver(records(), requested({}))
    assert calls == [
        ("power", [(NOW, 0.0), (NOW + MINUTE, 1.0)]),
        ("on_update_report", STATUS_REQUEST.report_request_id, 2),
    ]


async def test_a_callback_stored_by_name_is_found_after_a_restart() -> None:
    received.clear()
    handlers = UpdateHandlers(None)  # a fresh process: nothing in memory
    stored = {USAGE_REQUEST.report_request_id: {"voltage": f"{__name__}:stored_callback"}}
    await handlers.deliver(records(), requested(stored))
    assert received == [("stored", [(NOW, 0.0), (NOW + MINUTE, 1.0)])]


async def test_a_failing_handler_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(report: dict[str, Any]) -> None:
        raise RuntimeError("operator bug")

    await UpdateHandlers(broken).deliver(records(), requested({}))
    assert [r.action for r in caplog.records if hasattr(r, "action")] == ["report_handler_failed"] * 2

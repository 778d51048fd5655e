"""The operator's report policy decides what the VTN requests when a VEN registers its reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from report_svc.ven_reports.policy import ReportPolicy, planned_requests
from shared.settings import ReportPolicyName
from tests.report_svc.metadata import OFFERED

MINUTE = timedelta(minutes=1)


def keep(values: list[tuple[Any, Any]]) -> None:
    """A module-level callback."""


async def test_nothing_requests_nothing() -> None:
    assert await planned_requests(ReportPolicy(ReportPolicyName.NOTHING, MINUTE, MINUTE), "ven-1", OFFERED) == []


async def test_telemetry_requests_usage_and_status_with_data_report_names() -> None:
    planned = await planned_requests(ReportPolicy(ReportPolicyName.TELEMETRY, MINUTE, 2 * MINUTE), "ven-1", OFFERED)
    assert [(p.report_name, p.request.report_specifier.report_back_duration) for p in planned] == [
        ("TELEMETRY_USAGE", 2 * MINUTE),
        ("TELEMETRY_STATUS", 2 * MINUTE),
    ]
    assert all(p.callbacks == {} for p in planned)


async def test_handler_decides_per_data_point_and_returns_callbacks() -> None:
    def on_register_report(
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str | None,
        scale: str | None,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, ...] | None:
        return (keep, min_sampling_interval) if measurement == "Status" else None

    policy = ReportPolicy(ReportPolicyName.HANDLER, MINUTE, MINUTE, on_register_report)
    [planned] = await planned_requests(policy, "ven-1", OFFERED)
    assert planned.report_name == "TELEMETRY_STATUS"
    assert planned.request.report_specifier.granularity == timedelta(seconds=10)
    assert planned.callbacks == {"status": keep}

"""OpenLEADR's `on_register_report` forms and the data handed to callbacks and `on_update_report`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from report_svc.ven_reports.openleadr_compat import (
    callable_reference,
    choices_from_handler,
    data_report_dict,
    is_compact,
    metadata_dict,
)
from report_svc.ven_reports.report_data import RequestedReport, RequestStatus, records_of
from report_svc.ven_reports.requests_to_vens import build_request
from shared.oadr.report_parts import Report, ReportInterval, ReportPayload
from tests.report_svc.metadata import NOW, OFFERED, USAGE

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def module_level_callback(values: list[tuple[Any, Any]]) -> None:
    """A callback importable by name."""


async def test_compact_handler_is_asked_per_data_point_with_openleadrs_arguments() -> None:
    calls: list[dict[str, Any]] = []

    async def on_register_report(
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str | None,
        scale: str | None,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, ...] | None:
        calls.append(
            dict(
                ven_id=ven_id,
                resource_id=resource_id,
                measurement=measurement,
                unit=unit,
                scale=scale,
                low=min_sampling_interval,
                high=max_sampling_interval,
            )
        )
        if measurement == "Voltage":
            return None
        return (
            (module_level_callback, 2 * MINUTE, 5 * MINUTE)
            if measurement == "RealPower"
            else (module_level_callback, MINUTE)
        )

    assert is_compact(on_register_report)
    choices = await choices_from_handler(on_register_report, "ven-1", OFFERED)
    assert calls == [
        dict(
            ven_id="ven-1",
            resource_id="resource-power",
            measurement="RealPower",
            unit="W",
            scale="k",
            low=MINUTE,
            high=15 * MINUTE,
        ),
        dict(
            ven_id="ven-1",
            resource_id="resource-voltage",
            measurement="Voltage",
            unit="V",
            scale="none",
            low=30 * SECOND,
            high=5 * MINUTE,
        ),
        dict(
            ven_id="ven-1",
            resource_id="resource-status",
            measurement="Status",
            unit=None,
            scale=None,
            low=10 * SECOND,
            high=10 * MINUTE,
        ),
    ]
    usage, status = choices
    assert (usage.r_ids, usage.granularity, usage.report_back_duration) == (("power",), 2 * MINUTE, 5 * MINUTE)
    assert (status.r_ids, status.granularity, status.report_back_duration) == (("status",), MINUTE, MINUTE)
    assert usage.callbacks == {"power": module_level_callback}


async def test_full_handler_gets_the_metadata_dict_and_returns_tuples() -> None:
    seen: list[dict[str, Any]] = []

    def on_register_report(report: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        seen.append(report)
        if report["report_name"] != "METADATA_TELEMETRY_USAGE":
            return None
        return [("power", module_level_callback, 3 * MINUTE), ("not-offered", module_level_callback, MINUTE), "junk"]  # type: ignore[list-item]

    assert not is_compact(on_register_report)
    [choice] = await choices_from_handler(on_register_report, "ven-1", OFFERED)
    assert [r["report_name"] for r in seen] == ["METADATA_TELEMETRY_USAGE", "METADATA_TELEMETRY_STATUS"]
    description = seen[0]["report_descriptions"][0]
    assert description["measurement"] == {
        "name": "powerReal",
        "description": "RealPower",
        "unit": "W",
        "scale": "k",
        "power_attributes": {"hertz": 50.0, "voltage": 230.0, "ac": True},
    }
    assert description["sampling_rate"] == {"min_period": MINUTE, "max_period": 15 * MINUTE, "on_change": False}
    assert (choice.r_ids, choice.granularity, choice.report_back_duration) == (("power",), 3 * MINUTE, 3 * MINUTE)


async def test_a_granularity_outside_the_sampling_rate_is_fitted_into_it() -> None:
    def on_register_report(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(d["r_id"], module_level_callback, SECOND) for d in report["report_descriptions"]]

    choices = await choices_from_handler(on_register_report, "ven-1", [USAGE])
    assert choices[0].granularity == MINUTE


def test_only_importable_callbacks_get_a_reference() -> None:
    assert callable_reference(module_level_callback) == f"{__name__}:module_level_callback"
    assert callable_reference(lambda values: None) is None

    def local(values: list[Any]) -> None:
        pass

    assert callable_reference(local) is None


def test_metadata_and_data_dicts_use_openleadrs_keys() -> None:
    assert metadata_dict(USAGE)["report_descriptions"][0]["report_data_source"] == {"resource_id": "resource-power"}
    request = build_request(USAGE, r_ids=["power"], granularity=MINUTE, report_back_duration=MINUTE)
    report = Report(
        report_specifier_id="usage-spec",
        report_request_id=request.report_request_id,
        created_date_time=NOW,
        intervals=(ReportInterval(dtstart=NOW, duration=MINUTE, payloads=(ReportPayload(r_id="power", value=4.5),)),),
    )
    state = {
        request.report_request_id: RequestedReport("ven-1", "TELEMETRY_USAGE", RequestStatus.CREATED, False, request)
    }
    as_dict = data_report_dict(records_of("ven-1", [report], state, NOW))
    assert as_dict["report_request_id"] == request.report_request_id
    assert as_dict["intervals"] == [
        {"dtstart": NOW, "duration": MINUTE, "report_payload": {"r_id": "power", "value": 4.5}}
    ]

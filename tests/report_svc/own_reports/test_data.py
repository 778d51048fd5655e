"""The values of the VTN's own reports (default status, or an `on_request_report` handler in either of
OpenLEADR's callback forms) and the oadrUpdateReport/oadrCreatedReport/oadrCanceledReport that carry them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr.messaging import parse_message

from report_svc.own_reports.catalog import DEFAULT_CATALOG, VtnDataPoint
from report_svc.own_reports.data import BadValue, ReadingRequest, VtnReportSource, readings_of, report_value
from report_svc.own_reports.messages import canceled_report, canceled_report_error, created_report, update_report
from report_svc.own_reports.schedule import Window
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.report_parts import (
    ReportInterval,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SpecifierPayload,
)
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid
from tests.report_svc.metadata import NOW

MINUTE = timedelta(minutes=1)
STATUS_POINT = DEFAULT_CATALOG[0].points[0]
PRICE_POINT = VtnDataPoint(r_id="price", report_type="price", reading_type="Direct Read")
WINDOW = Window(NOW - 2 * MINUTE, NOW, MINUTE)


def reading(point: VtnDataPoint, window: Window = WINDOW) -> ReadingRequest:
    return ReadingRequest("ven-1", "rr-1", "vtn-status", point, window)


def rendered(schema: etree.XMLSchema, message: VtnMessage) -> dict[str, Any]:
    document = encode(message)
    assert_valid(schema, document)
    message_type, payload = parse_message(document)
    assert message_type == message.message_type
    return payload  # type: ignore[no-any-return]


async def test_without_a_handler_status_points_tell_the_vtn_is_online() -> None:
    [interval] = await VtnReportSource(None).intervals([reading(STATUS_POINT)])
    assert interval.dtstart == NOW - MINUTE and interval.duration == MINUTE
    assert interval.payloads[0].value == ResourceStatus(online=True, manual_override=False)
    assert await VtnReportSource(None).intervals([reading(PRICE_POINT)]) == []


async def test_an_incremental_handler_gives_the_current_value() -> None:
    source = VtnReportSource(lambda: 42)
    [interval] = await source.intervals([reading(PRICE_POINT)])
    assert interval.payloads[0].value == 42.0


async def test_a_full_handler_gets_the_span_and_only_the_keywords_it_takes() -> None:
    calls: list[dict[str, Any]] = []

    async def on_request_report(date_from: datetime, date_to: datetime, sampling_interval: timedelta, r_id: str) -> Any:
        calls.append({"from": date_from, "to": date_to, "every": sampling_interval, "r_id": r_id})
        return [(date_from + i * sampling_interval, 10.0 + i) for i in range(2)]

    intervals = await VtnReportSource(on_request_report).intervals([reading(PRICE_POINT)])
    assert calls == [{"from": NOW - 2 * MINUTE, "to": NOW, "every": MINUTE, "r_id": "price"}]
    assert [(i.dtstart, i.payloads[0].value) for i in intervals] == [(NOW - 2 * MINUTE, 10.0), (NOW - MINUTE, 11.0)]


async def test_a_handler_taking_keywords_gets_them_all_and_status_dicts_become_statuses() -> None:
    seen: dict[str, Any] = {}

    def on_request_report(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return {"online": False, "manual_override": True}

    [interval] = await VtnReportSource(on_request_report).intervals([reading(STATUS_POINT)])
    assert set(seen) == {
        "date_from",
        "date_to",
        "sampling_interval",
        "ven_id",
        "report_request_id",
        "report_specifier_id",
        "r_id",
    }
    assert interval.payloads[0].value == ResourceStatus(online=False, manual_override=True)


async def test_a_failing_or_silent_handler_gives_no_data() -> None:
    def broken() -> Any:
        raise RuntimeError("meter offline")

    assert await VtnReportSource(broken).intervals([reading(PRICE_POINT)]) == []
    assert await VtnReportSource(lambda: None).intervals([reading(PRICE_POINT)]) == []


def test_values_must_be_numbers_or_statuses() -> None:
    assert report_value(3) == 3.0
    with pytest.raises(BadValue):
        report_value("high")
    with pytest.raises(BadValue):
        readings_of([("not a time", 1.0)], WINDOW)


def test_the_vtns_update_report_is_valid_20b(official_schema: etree.XMLSchema) -> None:
    request = ReportRequest(
        report_request_id="ven-rr-1",
        report_specifier=ReportSpecifier(
            report_specifier_id="vtn-status",
            granularity=MINUTE,
            report_back_duration=2 * MINUTE,
            specifier_payloads=(SpecifierPayload(r_id="vtn-status", reading_type="x-notApplicable"),),
        ),
    )
    status = ResourceStatus(online=True, manual_override=False)
    intervals = [
        ReportInterval(
            dtstart=NOW - MINUTE, duration=MINUTE, payloads=(ReportPayload(r_id="vtn-status", value=status),)
        ),
    ]
    payload = rendered(
        official_schema, update_report("ven-1", request, "METADATA_TELEMETRY_STATUS", WINDOW, intervals, NOW)
    )
    [report] = payload["reports"]
    assert report["report_request_id"] == "ven-rr-1"
    assert report["report_name"] == "TELEMETRY_STATUS"
    assert report["intervals"][0]["report_payload"]["r_id"] == "vtn-status"


def test_created_and_canceled_reports_list_pending_requests(official_schema: etree.XMLSchema) -> None:
    created = rendered(official_schema, created_report("ven-1", "req-1", ["rr-1", "rr-2"]))
    assert [p["report_request_id"] for p in created["pending_reports"]] == ["rr-1", "rr-2"]
    canceled = rendered(official_schema, canceled_report("ven-1", "req-2", ["rr-2"]))
    assert [p["report_request_id"] for p in canceled["pending_reports"]] == ["rr-2"]
    refused = rendered(official_schema, canceled_report_error("ven-1", "req-3", ResponseCode.INVALID_ID, "unknown", []))
    assert refused["response"]["response_code"] == 452
    assert rendered(official_schema, created_report("ven-1", "req-4", [])).get("pending_reports") in (None, [])

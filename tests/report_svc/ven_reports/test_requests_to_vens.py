"""The report requests the VTN can send, built from a VEN's METADATA: each shape the certification tests
use, rendered to XML that passes the official 2.0b schema and that OpenLEADR's parser reads back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree
from openleadr.messaging import parse_message

from report_svc.ven_reports.requests_to_vens import (
    RequestRefused,
    build_request,
    cancel_report,
    create_report,
    data_report_name,
    fit_granularity,
    registered_report,
    telemetry_requests,
    updated_report,
)
from shared.oadr.messages import VtnMessage
from shared.oadr.period import Period
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid
from tests.report_svc.metadata import HISTORY, NOW, OFFERED, STATUS, USAGE

MINUTE = timedelta(minutes=1)
ZERO = timedelta(0)


def rendered(schema: etree.XMLSchema, message: VtnMessage) -> dict[str, object]:
    """Render, check against the official XSD, and read back with OpenLEADR's parser."""
    document = encode(message)
    assert_valid(schema, document)
    message_type, payload = parse_message(document)
    assert message_type == message.message_type
    return payload


def test_telemetry_status_one_shot(official_schema: etree.XMLSchema) -> None:
    request = build_request(STATUS, granularity=ZERO, report_back_duration=ZERO)
    payload = rendered(official_schema, create_report("ven-1", [request]))
    specifier = payload["report_requests"][0]["report_specifier"]  # type: ignore[index]
    assert (specifier["granularity"], specifier["report_back_duration"]) == (ZERO, ZERO)
    assert [p["r_id"] for p in specifier["specifier_payloads"]] == ["status"]


def test_telemetry_status_periodic(official_schema: etree.XMLSchema) -> None:
    request = build_request(STATUS, granularity=MINUTE, report_back_duration=MINUTE)
    rendered(official_schema, create_report("ven-1", [request]))
    assert request.report_specifier.granularity == MINUTE


def test_telemetry_status_on_change(official_schema: etree.XMLSchema) -> None:
    """Granularity zero with a reportBackDuration: a status sample on every change, sent every minute."""
    request = build_request(STATUS, granularity=ZERO, report_back_duration=MINUTE)
    rendered(official_schema, create_report("ven-1", [request]))
    assert request.report_specifier.report_back_duration == MINUTE


def test_telemetry_usage_one_shot(official_schema: etree.XMLSchema) -> None:
    request = build_request(USAGE, r_ids=["power"], granularity=ZERO, report_back_duration=ZERO)
    rendered(official_schema, create_report("ven-1", [request]))
    assert request.report_specifier.specifier_payloads[0].item_base == USAGE.descriptions[0].item_base


def test_telemetry_usage_periodic_over_a_report_interval(official_schema: etree.XMLSchema) -> None:
    window = Period(dtstart=NOW, duration=timedelta(minutes=10))
    request = build_request(USAGE, granularity=MINUTE, report_back_duration=2 * MINUTE, report_interval=window)
    payload = rendered(official_schema, create_report("ven-1", [request]))
    specifier = payload["report_requests"][0]["report_specifier"]  # type: ignore[index]
    assert specifier["granularity"] == MINUTE and specifier["report_back_duration"] == 2 * MINUTE
    assert specifier["report_interval"]["duration"] == timedelta(minutes=10)
    assert [p.r_id for p in request.report_specifier.specifier_payloads] == ["power", "voltage"]


def test_history_usage_over_a_time_range(official_schema: etree.XMLSchema) -> None:
    window = Period(dtstart=NOW - timedelta(days=1), duration=timedelta(days=1))
    request = build_request(
        HISTORY, granularity=timedelta(minutes=15), report_back_duration=ZERO, report_interval=window
    )
    rendered(official_schema, create_report("ven-1", [request]))
    assert request.report_specifier.report_interval == window


def test_two_requests_in_one_create_report(official_schema: etree.XMLSchema) -> None:
    requests = [
        build_request(USAGE, granularity=MINUTE, report_back_duration=MINUTE),
        build_request(STATUS, granularity=ZERO, report_back_duration=ZERO),
    ]
    payload = rendered(official_schema, create_report("ven-1", requests))
    assert len(payload["report_requests"]) == 2  # type: ignore[arg-type]
    assert len({r.report_request_id for r in requests}) == 2


def test_requests_piggy_backed_in_registered_report(official_schema: etree.XMLSchema) -> None:
    requests = telemetry_requests(OFFERED, MINUTE, 2 * MINUTE)
    payload = rendered(official_schema, registered_report("req-9", "ven-1", requests))
    assert [r["report_specifier"]["report_specifier_id"] for r in payload["report_requests"]] == [  # type: ignore[union-attr,index]
        "usage-spec",
        "status-spec",
    ]


def test_cancel_piggy_backed_in_updated_report(official_schema: etree.XMLSchema) -> None:
    cancel = cancel_report("ven-1", ["rr-1"], report_to_follow=False)
    payload = rendered(official_schema, updated_report("req-3", "ven-1", cancel))
    assert payload["cancel_report"]["report_request_id"] == "rr-1"  # type: ignore[index]


def test_cancel_report_with_report_to_follow(official_schema: etree.XMLSchema) -> None:
    payload = rendered(official_schema, cancel_report("ven-1", ["rr-1", "rr-2"], report_to_follow=True))
    assert payload["report_to_follow"] is True


def test_the_telemetry_policy_requests_every_telemetry_report_and_fits_the_sampling_rate() -> None:
    requests = telemetry_requests(OFFERED, timedelta(seconds=5), timedelta(seconds=5))
    by_spec = {r.report_specifier.report_specifier_id: r.report_specifier for r in requests}
    assert set(by_spec) == {"usage-spec", "status-spec"}  # never HISTORY by policy
    # power allows [1 min, 15 min], voltage [30 s, 5 min]: 5 s is raised to the first both allow.
    assert by_spec["usage-spec"].granularity == MINUTE
    assert by_spec["usage-spec"].report_back_duration == MINUTE  # never shorter than the granularity
    assert by_spec["status-spec"].granularity == timedelta(seconds=10)


def test_unoffered_rids_are_refused() -> None:
    with pytest.raises(RequestRefused, match="not offered"):
        build_request(USAGE, r_ids=["power", "frequency"], granularity=MINUTE, report_back_duration=MINUTE)


def test_a_granularity_the_sampling_rate_does_not_allow_is_refused() -> None:
    with pytest.raises(RequestRefused, match="sampling rate"):
        build_request(USAGE, r_ids=["power"], granularity=timedelta(seconds=10), report_back_duration=MINUTE)


def test_sampling_rates_without_a_common_granularity_are_refused() -> None:
    with pytest.raises(RequestRefused):
        fit_granularity([USAGE.descriptions[1], HISTORY.descriptions[0]], MINUTE)


def test_report_request_ids_are_unique_within_one_message() -> None:
    request = build_request(STATUS, granularity=ZERO, report_back_duration=ZERO)
    with pytest.raises(RequestRefused, match="unique"):
        create_report("ven-1", [request, request])
    assert (
        len({build_request(STATUS, granularity=ZERO, report_back_duration=ZERO).report_request_id for _ in range(50)})
        == 50
    )


def test_data_report_names() -> None:
    assert data_report_name("METADATA_TELEMETRY_USAGE") == "TELEMETRY_USAGE"
    assert data_report_name("x-custom") == "x-custom"

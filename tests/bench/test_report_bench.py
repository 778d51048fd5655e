"""The report benchmark's messages: OpenLEADR's XML, valid 2.0b, with new intervals in every report."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from openleadr.messaging import create_message, parse_message

from bench.report_bench import (
    BASE_TIME,
    R_ID,
    SPECIFIER,
    ReportRun,
    UpdateTemplate,
    metadata_report,
    percentile,
    ratio_summary,
)
from tests.conftest import assert_valid


def test_an_update_template_fills_in_new_intervals_and_a_new_request_id(official_schema: etree.XMLSchema) -> None:
    template = UpdateTemplate("ven-1", "rr-1", intervals=3)
    first, first_starts = template.render(0)
    second, second_starts = template.render(3)
    for body in (first, second):
        assert_valid(official_schema, body)
    kind, payload = parse_message(first)
    assert kind == "oadrUpdateReport" and payload["ven_id"] == "ven-1"
    [report] = payload["reports"]
    assert (report["report_request_id"], report["report_specifier_id"]) == ("rr-1", SPECIFIER)
    assert (
        [i["dtstart"] for i in report["intervals"]]
        == first_starts
        == [BASE_TIME + timedelta(seconds=s) for s in range(3)]
    )
    assert all(i["report_payload"]["r_id"] == R_ID for i in report["intervals"])
    assert second_starts[0] == BASE_TIME + timedelta(seconds=3)
    assert parse_message(second)[1]["request_id"] != payload["request_id"]


def test_the_metadata_offered_is_valid_20b(official_schema: etree.XMLSchema) -> None:
    body = create_message(
        "oadrRegisterReport", request_id="r", ven_id="ven-1", reports=[metadata_report()], report_request_id="0"
    )
    assert_valid(official_schema, body.encode())


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 100.0


def _run(target: str, accepted: float) -> ReportRun:
    return ReportRun(target, 1000, 1, 20.0, int(accepted * 20), accepted, None, None, None, None, {}, None, {})


def test_rounds_are_summed_up_as_each_rounds_ratio_and_their_median() -> None:
    rounds = [
        [_run("OpenLEADR", 800.0), _run("this VTN", 800.0)],
        [_run("OpenLEADR", 700.0), _run("this VTN", 1050.0)],
        [_run("OpenLEADR", 1000.0), _run("this VTN", 900.0)],
    ]
    assert ratio_summary(rounds) == "this VTN ÷ OpenLEADR, 3 round(s): 1.00, 1.50, 0.90; median 1.00"
    assert ratio_summary([[_run("this VTN", 900.0)]]) == ""

"""The report benchmark's messages: OpenLEADR's XML, valid 2.0b, with new intervals in every report."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from openleadr.messaging import create_message, parse_message

from bench.report_bench import BASE_TIME, R_ID, SPECIFIER, UpdateTemplate, metadata_report, percentile
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
    assert [i["dtstart"] for i in report["intervals"]] == first_starts == [BASE_TIME + timedelta(seconds=s) for s in range(3)]
    assert all(i["report_payload"]["r_id"] == R_ID for i in report["intervals"])
    assert second_starts[0] == BASE_TIME + timedelta(seconds=3)
    assert parse_message(second)[1]["request_id"] != payload["request_id"]


def test_the_metadata_offered_is_valid_20b(official_schema: etree.XMLSchema) -> None:
    body = create_message("oadrRegisterReport", request_id="r", ven_id="ven-1", reports=[metadata_report()], report_request_id="0")
    assert_valid(official_schema, body.encode())


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 100.0

"""The VTN's own METADATA: the default, the operator's description, and the check of VENs' requests."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from openleadr.messaging import parse_message

from report_svc.own_reports.catalog import (
    DEFAULT_CATALOG,
    DEFAULT_REPORT_ID,
    CatalogError,
    RequestNotAccepted,
    check_requests,
    parse_catalog,
)
from report_svc.own_reports.messages import register_report
from shared.oadr.common import ResponseCode
from shared.oadr.report_parts import ReportRequest, ReportSpecifier, SpecifierPayload
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid
from tests.report_svc.metadata import NOW

OPERATOR_REPORTS = [
    {
        "report_specifier_id": "vtn-prices",
        "report_name": "METADATA_TELEMETRY_USAGE",
        "points": [
            {
                "r_id": "price",
                "report_type": "price",
                "reading_type": "Direct Read",
                "item_base": {
                    "name": "currencyPerKWh",
                    "description": "currencyPerKWh",
                    "units": "USD",
                    "si_scale_code": "none",
                },
                "min_period": "PT1M",
                "max_period": "PT1H",
            }
        ],
    },
    {"report_specifier_id": "vtn-status", "points": [{"r_id": "vtn-status"}]},
]


def request(report_specifier_id: str, r_id: str, granularity: timedelta, request_id: str = "rr-1") -> ReportRequest:
    return ReportRequest(
        report_request_id=request_id,
        report_specifier=ReportSpecifier(
            report_specifier_id=report_specifier_id,
            granularity=granularity,
            report_back_duration=granularity,
            specifier_payloads=(SpecifierPayload(r_id=r_id, reading_type="x-notApplicable"),),
        ),
    )


def test_unset_the_vtn_offers_its_status() -> None:
    assert parse_catalog(None, has_handler=False) == DEFAULT_CATALOG
    [report] = DEFAULT_CATALOG
    assert report.report_name == "METADATA_TELEMETRY_STATUS"
    assert [p.r_id for p in report.points] == [DEFAULT_REPORT_ID]


def test_the_operators_reports_are_read_from_json_or_a_file(tmp_path: Path) -> None:
    catalog = parse_catalog(json.dumps(OPERATOR_REPORTS), has_handler=True)
    assert [r.report_specifier_id for r in catalog] == ["vtn-prices", "vtn-status"]
    path = tmp_path / "reports.json"
    path.write_text(json.dumps(OPERATOR_REPORTS))
    assert parse_catalog(f"@{path}", has_handler=True) == catalog


def test_values_other_than_status_need_a_handler() -> None:
    with pytest.raises(CatalogError, match="VTN_ON_REQUEST_REPORT"):
        parse_catalog(json.dumps(OPERATOR_REPORTS), has_handler=False)


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        json.dumps([{"report_specifier_id": "x", "points": []}]),
        json.dumps(
            [
                {"report_specifier_id": "x", "points": [{"r_id": "a"}]},
                {"report_specifier_id": "x", "points": [{"r_id": "b"}]},
            ]
        ),
        json.dumps([{"report_specifier_id": "x", "points": [{"r_id": "a"}, {"r_id": "a"}]}]),
    ],
)
def test_a_bad_description_is_refused_at_start(bad: str) -> None:
    with pytest.raises(CatalogError):
        parse_catalog(bad, has_handler=True)


def test_the_vtns_register_report_is_valid_20b(official_schema: etree.XMLSchema) -> None:
    catalog = parse_catalog(json.dumps(OPERATOR_REPORTS), has_handler=True)
    document = encode(register_report("ven-1", catalog, NOW, request_id="reg-1"))
    assert_valid(official_schema, document)
    message_type, payload = parse_message(document)
    assert message_type == "oadrRegisterReport"
    assert [r["report_specifier_id"] for r in payload["reports"]] == ["vtn-prices", "vtn-status"]
    assert payload["reports"][0]["report_descriptions"][0]["r_id"] == "price"


def test_requests_fitting_the_metadata_are_accepted() -> None:
    check_requests(DEFAULT_CATALOG, [request(DEFAULT_REPORT_ID, DEFAULT_REPORT_ID, timedelta(seconds=10))])
    check_requests(DEFAULT_CATALOG, [request(DEFAULT_REPORT_ID, DEFAULT_REPORT_ID, timedelta(0))])


@pytest.mark.parametrize(
    ("requests", "code"),
    [
        ([request("no-such-report", DEFAULT_REPORT_ID, timedelta(0))], ResponseCode.INVALID_ID),
        ([request(DEFAULT_REPORT_ID, "no-such-rid", timedelta(0))], ResponseCode.INVALID_ID),
        ([request(DEFAULT_REPORT_ID, DEFAULT_REPORT_ID, timedelta(hours=2))], ResponseCode.INVALID_DATA),
        (
            [
                request(DEFAULT_REPORT_ID, DEFAULT_REPORT_ID, timedelta(0)),
                request(DEFAULT_REPORT_ID, DEFAULT_REPORT_ID, timedelta(0)),
            ],
            ResponseCode.INVALID_ID,
        ),
    ],
)
def test_requests_that_do_not_fit_are_refused(requests: list[ReportRequest], code: int) -> None:
    with pytest.raises(RequestNotAccepted) as refused:
        check_requests(DEFAULT_CATALOG, requests)
    assert refused.value.response_code == code

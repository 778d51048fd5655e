"""What the audit trail records of a change: the route with its parameters named, the target, the request
without secrets."""

from __future__ import annotations

import json

from gateway.console.audit import detail_of, route_of, target_of, without_secrets


def test_the_route_names_its_parameters_whatever_their_value() -> None:
    assert route_of("/api/v1/vens/v%201/memberships", {"ven_id": "v 1"}) == "/api/v1/vens/{ven_id}/memberships"
    assert route_of("/api/v1/events", {}) == "/api/v1/events"
    assert (
        route_of("/api/v1/reports/a/requests/r/cancel", {"ven_id": "a", "report_request_id": "r"})
        == "/api/v1/reports/{ven_id}/requests/{report_request_id}/cancel"
    )


def test_the_target_is_what_the_route_names() -> None:
    assert target_of({"ven_id": "v1"}) == "ven_id=v1"
    assert target_of({"ven_id": "v1", "report_request_id": "r"}) == "ven_id=v1 report_request_id=r"
    assert target_of({}) is None


def test_secrets_are_left_out_at_any_depth() -> None:
    cleaned = without_secrets(
        {"name": "bob", "token": "x", "nested": [{"Password": "y", "keep": 1}], "csrf_token": "z"}
    )
    assert cleaned == {"name": "bob", "nested": [{"keep": 1}]}


def test_the_detail_is_the_json_body_and_query_but_never_the_sign_in_form() -> None:
    body = json.dumps({"group_ids": ["g1"]}).encode()
    assert detail_of("/api/v1/vens/v/memberships", body, {"reason": "storm"}) == {
        "query": {"reason": "storm"},
        "body": {"group_ids": ["g1"]},
    }
    assert detail_of("/console/sign-in", b"token=secret&csrf_token=x", {}) is None
    assert detail_of("/api/v1/events/e/cancel", b"", {}) is None
    assert detail_of("/api/v1/events", b"not json", {}) is None

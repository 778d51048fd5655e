"""Every admin API route that names a VEN (in its path, its query or its body) answers 404 for a venID the VTN
does not know, with a detail naming it, never `200 []` as if the VEN had nothing. A VEN the VTN knows stays
known after its registration is cancelled: its routes keep answering 200."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.integration.event_ven import simple_event
from tests.integration.raw_ven import RawVen

UNKNOWN = "no-such-ven-anywhere"
REPORT_REQUEST = {"report_specifier_id": "telemetry", "granularity": "PT1M", "report_back_duration": "PT1M"}

# (method, path, JSON body or None, query parameters or None): every route under /api/v1 that takes a venID.
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None, dict[str, str] | None]] = {
    "get a VEN": ("GET", f"/vens/{UNKNOWN}", None, None),
    "cancel a registration": ("POST", f"/vens/{UNKNOWN}/cancel-registration", None, None),
    "request a reregistration": ("POST", f"/vens/{UNKNOWN}/request-reregistration", None, None),
    "set memberships": ("PUT", f"/vens/{UNKNOWN}/memberships", {"group_ids": ["g1"]}, None),
    "list available reports": ("GET", f"/reports/{UNKNOWN}/available", None, None),
    "list report requests": ("GET", f"/reports/{UNKNOWN}/requests", None, None),
    "request a report": ("POST", f"/reports/{UNKNOWN}/requests", REPORT_REQUEST, None),
    "cancel a report request": ("POST", f"/reports/{UNKNOWN}/requests/some-request/cancel", None, None),
    "query report data": ("GET", f"/reports/{UNKNOWN}/data", None, None),
    "list requests for the VTN's reports": ("GET", f"/vtn-reports/{UNKNOWN}/requests", None, None),
    "publish the VTN's reports": ("POST", "/vtn-reports/publish", {"ven_ids": [UNKNOWN]}, None),
    "list events for a VEN": ("GET", "/events", None, {"ven_id": UNKNOWN}),
    "list opts of a VEN": ("GET", "/opts", None, {"ven_id": UNKNOWN}),
    "create an event targeting a VEN": ("POST", "/events", simple_event((UNKNOWN,)), None),
}


@pytest.mark.parametrize("route", ROUTES, ids=list(ROUTES))
async def test_a_route_naming_an_unknown_ven_answers_404(admin: httpx.AsyncClient, route: str) -> None:
    method, path, body, params = ROUTES[route]
    answer = await admin.request(method, path, json=body, params=params)
    assert answer.status_code == 404, answer.text
    assert UNKNOWN in answer.json()["detail"]


async def test_changing_an_events_targets_to_an_unknown_ven_answers_404_and_changes_nothing(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("targeted-ven")).register()
    event_id = unique("retarget")
    assert (await admin.post("/events", json=simple_event((ven.ven_id,), event_id=event_id))).status_code == 201
    answer = await admin.patch(f"/events/{event_id}", json={"targets": {"ven_ids": [str(ven.ven_id), UNKNOWN]}})
    assert answer.status_code == 404 and UNKNOWN in answer.json()["detail"], answer.text
    event = (await admin.get(f"/events/{event_id}")).json()
    assert event["event"]["descriptor"]["modification_number"] == 0
    assert event["event"]["targets"]["ven_ids"] == [ven.ven_id]


async def test_a_ven_whose_registration_was_cancelled_is_still_known(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("cancelled-ven")).register()
    assert (await ven.cancel_registration()).response_code == 200
    for path, params in (
        (f"/vens/{ven.ven_id}", None),
        (f"/reports/{ven.ven_id}/available", None),
        (f"/reports/{ven.ven_id}/requests", None),
        (f"/reports/{ven.ven_id}/data", None),
        (f"/vtn-reports/{ven.ven_id}/requests", None),
        ("/events", {"ven_id": str(ven.ven_id)}),
        ("/opts", {"ven_id": str(ven.ven_id)}),
    ):
        answer = await admin.get(path, params=params)
        assert answer.status_code == 200, (path, answer.text)


async def test_a_ven_id_in_the_wrong_case_is_unknown(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("case-ven")).register()
    assert ven.ven_id is not None
    answer = await admin.get(f"/reports/{ven.ven_id.swapcase()}/data")
    assert answer.status_code == 404, answer.text
